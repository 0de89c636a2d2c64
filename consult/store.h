/* store.h — durable state: consults and their participants (SQLite, WAL).
 *
 * The schema is versioned: migrations in store.c are applied in order at open,
 * inside a transaction each, and recorded in PRAGMA user_version. Every query
 * is scoped by tenant, so one tenant can never read another's rows.
 * Main thread only (one connection, no sharing).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_STORE_ERROR (cg_store_error_quark())
GQuark cg_store_error_quark(void);

typedef enum {
    CG_STORE_ERROR_NOT_FOUND,
    CG_STORE_ERROR_FAILED, /* SQLite said no; the message names the statement's job */
} CgStoreError;

typedef struct _CgStore CgStore;

/* Interpretation (issue 11): limits shared by the admin API, signaling and the store. */
#define CG_CONSULT_LANGUAGES_MAX 8              /* declared languages of one consult */
#define CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT (-15) /* speech over speech: >= 15 dB apart */
#define CG_CONSULT_FLOOR_LEVEL_DB_MIN (-40)
#define CG_CONSULT_FLOOR_LEVEL_DB_MAX 0

typedef struct {
    char *id;
    char *tenant;
    char *kind; /* "virtual_consult" | "case_conference" */
    char *specialty;
    char *title;
    gint64 starts_at; /* seconds since the epoch, UTC */
    guint duration_min;
    char *state;             /* stored state: "scheduled", "cancelled" or "ended"; the phase
                              * (open, live, ...) is derived from times by consult_rules.h */
    gint64 ended_at;         /* seconds since the epoch; 0 = not ended */
    char *end_reason;        /* "ended_by_specialist", "cancelled", "time_up"; NULL if not ended */
    gint64 live_since;       /* first admitted media; 0 = never live */
    gboolean providers_wait; /* providers also wait in the waiting room */
    char *series_id;         /* recurring conferences: shared by every occurrence; NULL otherwise */
    /* The consult's own cap on each endpoint's published video, when
     * video_bitrate_set (0 = no cap); unset, consults.video_bitrate_kbps
     * applies (consult_rules.h cg_consult_video_bitrate_kbps). */
    gboolean video_bitrate_set;
    guint video_bitrate_kbps;
    /* Interpretation (issue 11): NULL mode = none; otherwise "consecutive" or
     * "simultaneous" with 1..8 lower-case BCP 47 tags (NULL-terminated; NULL
     * when mode is NULL). The store keeps what it is given: the admin API
     * validates (tags hold no ',': they are stored as a comma list). */
    char *interpretation_mode;
    char **interpretation_languages;
    char *floor_language; /* NULL = not said */
    /* simultaneous: the floor under an interpreter, -40..0. Whoever builds a
     * record sets it (CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT); rows from before
     * interpretation read as the default. */
    gint floor_level_db;
} CgConsultRecord;

typedef struct {
    char *id;
    char *consult_id;
    char *tenant;
    char *name;
    char *role;
    gboolean admitted; /* admitted from the waiting room once: a rejoin skips it */
    gboolean removed;  /* removed by a specialist or the admin API: its token no longer joins */
    char *muted_by;    /* the specialist (participant id) whose mute holds; NULL = not muted */
    char *language;    /* interpreter: the channel it speaks into; others: the one it starts on */
    /* interpreter (simultaneous): the channel it listens to instead of the floor */
    char *relay_from;
} CgParticipantRecord;

void cg_consult_record_clear(CgConsultRecord *record);
void cg_participant_record_clear(CgParticipantRecord *record);
/* Clear and g_free a heap record (the free func of the arrays below). */
void cg_consult_record_free(CgConsultRecord *record);
void cg_participant_record_free(CgParticipantRecord *record);

/* Opens (creating the file, mode 0600, and its directory if needed) and
 * migrates. An existing file readable by group or others is made 0600 (with
 * its -wal and -shm files). */
CgStore *cg_store_open(const char *path, GError **error);
void cg_store_close(CgStore *store);
/* The schema version after migrations. */
int cg_store_schema_version(CgStore *store);

/* Inserts a consult and its participants atomically. */
gboolean cg_store_create_consult(CgStore *store, const CgConsultRecord *consult,
                                 const CgParticipantRecord *participants, guint n_participants,
                                 GError **error);
/* Inserts @n_consults consults (e.g. a recurring series) and @n_participants
 * participants (of any of them) in one transaction: all or nothing. */
gboolean cg_store_create_consults(CgStore *store, const CgConsultRecord *consults, guint n_consults,
                                  const CgParticipantRecord *participants, guint n_participants,
                                  GError **error);
/* Fills @out (caller clears) or fails with CG_STORE_ERROR_NOT_FOUND. */
gboolean cg_store_get_consult(CgStore *store, const char *tenant, const char *consult_id,
                              CgConsultRecord *out, GError **error);
gboolean cg_store_get_participant(CgStore *store, const char *tenant, const char *consult_id,
                                  const char *participant_id, CgParticipantRecord *out,
                                  GError **error);

/* Lifecycle changes made by the live side (signaling/: admission, controls, end timers). */
gboolean cg_store_set_participant_admitted(CgStore *store, const char *tenant,
                                           const char *consult_id, const char *participant_id,
                                           GError **error);
gboolean cg_store_set_participant_removed(CgStore *store, const char *tenant,
                                          const char *consult_id, const char *participant_id,
                                          GError **error);
/* A specialist's mute: @muted_by is its participant id, NULL to unmute. It
 * holds across rejoins and restarts until unmuted. */
gboolean cg_store_set_participant_muted(CgStore *store, const char *tenant, const char *consult_id,
                                        const char *participant_id, const char *muted_by,
                                        GError **error);
gboolean cg_store_set_consult_live(CgStore *store, const char *tenant, const char *consult_id,
                                   gint64 live_since, GError **error);
/* @state "ended" or "cancelled"; @reason as in CgConsultRecord.end_reason. */
gboolean cg_store_end_consult(CgStore *store, const char *tenant, const char *consult_id,
                              const char *state, const char *reason, gint64 ended_at,
                              GError **error);
/* (transfer full) array of CgConsultRecord* (frees them): consults that are not ended/cancelled and
 * whose window [starts_at - open_before, starts_at + duration + grace] contains @now, of every
 * tenant: the daemon re-arms their end timers after a restart. */
GPtrArray *cg_store_open_consults(CgStore *store, gint64 now, guint open_before_min,
                                  guint grace_min, GError **error);

/* A specialist changed the floor level of a simultaneous consult live
 * (-40..0; anything else: CG_STORE_ERROR_FAILED, nothing stored). */
gboolean cg_store_set_floor_level(CgStore *store, const char *tenant, const char *consult_id,
                                  gint floor_level_db, GError **error);

/* Admin API. The UPDATE-style calls fail with CG_STORE_ERROR_NOT_FOUND when no
 * row of @tenant matches. */
/* Sets starts_at, duration_min, title, specialty, the video bitrate cap and
 * the interpretation fields (mode, languages, floor language and level) of
 * consult->id in consult->tenant. */
gboolean cg_store_update_consult(CgStore *store, const CgConsultRecord *consult, GError **error);
gboolean cg_store_add_participant(CgStore *store, const CgParticipantRecord *participant,
                                  GError **error);
/* Participants of a consult that are not removed. */
gboolean cg_store_count_participants(CgStore *store, const char *tenant, const char *consult_id,
                                     guint *count, GError **error);
/* (transfer full) array of CgConsultRecord* of @tenant with @from <= starts_at
 * < @to, by starts_at, at most @limit. */
GPtrArray *cg_store_list_consults(CgStore *store, const char *tenant, gint64 from, gint64 to,
                                  guint limit, GError **error);
/* (transfer full) array of CgParticipantRecord*, in creation order (removed too). */
GPtrArray *cg_store_list_participants(CgStore *store, const char *tenant, const char *consult_id,
                                      GError **error);

G_END_DECLS
