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

typedef struct {
    char *id;
    char *tenant;
    char *kind;      /* "virtual_consult" | "case_conference" */
    char *specialty;
    char *title;
    gint64 starts_at; /* seconds since the epoch, UTC */
    guint duration_min;
    char *state; /* "scheduled" for now; lifecycle comes with the consult model */
} CgConsultRecord;

typedef struct {
    char *id;
    char *consult_id;
    char *tenant;
    char *name;
    char *role;
} CgParticipantRecord;

void cg_consult_record_clear(CgConsultRecord *record);
void cg_participant_record_clear(CgParticipantRecord *record);

/* Opens (creating the file and its directory if needed) and migrates. */
CgStore *cg_store_open(const char *path, GError **error);
void cg_store_close(CgStore *store);
/* The schema version after migrations. */
int cg_store_schema_version(CgStore *store);

/* Inserts a consult and its participants atomically. */
gboolean cg_store_create_consult(CgStore *store, const CgConsultRecord *consult,
                                 const CgParticipantRecord *participants, guint n_participants,
                                 GError **error);
/* Fills @out (caller clears) or fails with CG_STORE_ERROR_NOT_FOUND. */
gboolean cg_store_get_consult(CgStore *store, const char *tenant, const char *consult_id,
                              CgConsultRecord *out, GError **error);
gboolean cg_store_get_participant(CgStore *store, const char *tenant, const char *consult_id,
                                  const char *participant_id, CgParticipantRecord *out,
                                  GError **error);

G_END_DECLS
