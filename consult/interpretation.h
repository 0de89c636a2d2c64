/* interpretation.h — a consult's interpretation as it runs (issue 11;
 * docs/protocol.md "Interpretation"): who listens to which channel, which
 * interpreter is live on each language, and the PLAN of what media must do
 * for it (the mixes with their inputs and gains, what each endpoint hears).
 *
 * Pure: no I/O, no main loop, no clock; one CgInterp per consult with
 * joined members, owned by signaling/ (it lives while the consult has peers,
 * so a seat held across a dropped socket keeps its channel and its live
 * state). The daemon computes the plan after every change and applies the
 * difference to media.
 *
 * Rules (simultaneous mode; consecutive has no channels and no plan):
 * - channels: "floor" and one per declared language (lower case; compared
 *   case-insensitively). Floor speakers: every member that is not an
 *   interpreter.
 * - a listener (any non-interpreter) is on one channel: its language if
 *   declared, else "floor", until it sends "channel".
 * - one interpreter per language is live. The first interpreter of a
 *   language to join while nobody is live there becomes live. go_live on a
 *   channel where someone else is live is refused (CHANNEL_TAKEN); take_over
 *   makes the sender live at once; hand_over (by the live one only: NOT_LIVE)
 *   passes it to a partner (default the one that joined first; NO_PARTNER
 *   when none). When the live one leaves, nobody is live and its partners are
 *   offered the channel (offered = TRUE until somebody goes live there).
 * - effectively live = live and audio on (not muted by itself nor by a
 *   specialist): only then does a channel duck the floor.
 *
 * The plan (stable mix keys):
 * - "ch:L": floor speakers at the floor level (10^(db/20)) and L's
 *   effectively-live interpreter at 1.0; with nobody effectively live, the
 *   floor at 1.0 (never silence). L's other interpreters are inputs at gain
 *   0, so a hand-over is a change of gains in one step (no new input to
 *   prime, never both at once).
 * - "ch:L:only" (interpreter only): L's live interpreter at 1.0 and the
 *   floor at 0; the floor at 1.0 while nobody is effectively live.
 * - "ch:L~<id>", "ch:L:only~<id>": the same without listener <id>'s own
 *   voice, for a listener whose audio is on (a floor speaker too: in the
 *   shared mix it would hear itself, late, and at full level while nobody
 *   is live). Listeners with their audio off share "ch:L".
 * - "interp:<participant id>": the interpreter's source (the effectively-live
 *   interpreter of its relay_from at 1.0 when there is one, else the floor at
 *   1.0) and its booth partners at CG_INTERP_TALKBACK_DB; never itself.
 * - a mix exists only while someone listens to it.
 * - a listener on floor hears the relay path (receive_relayed_audio TRUE,
 *   no mix); on a language it hears its channel mix and no relayed audio.
 *   An interpreter hears its own mix and no relayed audio, and its audio is
 *   not relayed (audio_relayed FALSE): it reaches others only through mixes.
 *
 * Main thread of the caller only (no locking).
 */
#pragma once

#include <glib.h>

#include "protocol_errors.h"
#include "store.h"

G_BEGIN_DECLS

#define CG_INTERP_FLOOR "floor"
#define CG_INTERP_FLOOR_DB_DEFAULT CG_CONSULT_FLOOR_LEVEL_DB_DEFAULT
#define CG_INTERP_FLOOR_DB_MIN CG_CONSULT_FLOOR_LEVEL_DB_MIN
#define CG_INTERP_FLOOR_DB_MAX CG_CONSULT_FLOOR_LEVEL_DB_MAX
#define CG_INTERP_TALKBACK_DB (-12) /* booth partners' talk-back line */

typedef enum {
    CG_INTERP_MODE_NONE,
    CG_INTERP_MODE_CONSECUTIVE,
    CG_INTERP_MODE_SIMULTANEOUS,
} CgInterpMode;

/* A refused request; each maps 1:1 onto a protocol error code
 * (cg_interp_error_code()). Messages name the problem. */
#define CG_INTERP_ERROR (cg_interp_error_quark())
GQuark cg_interp_error_quark(void);
typedef enum {
    CG_INTERP_ERROR_NO_INTERPRETATION,   /* no_interpretation */
    CG_INTERP_ERROR_NOT_SIMULTANEOUS,    /* not_simultaneous */
    CG_INTERP_ERROR_NOT_ALLOWED,         /* not_allowed: not for this role */
    CG_INTERP_ERROR_UNKNOWN_CHANNEL,     /* unknown_channel */
    CG_INTERP_ERROR_CHANNEL_TAKEN,       /* channel_taken */
    CG_INTERP_ERROR_NO_PARTNER,          /* no_partner */
    CG_INTERP_ERROR_NOT_LIVE,            /* not_live */
    CG_INTERP_ERROR_UNKNOWN_PARTICIPANT, /* unknown_participant: "to" is no partner */
    CG_INTERP_ERROR_OUT_OF_RANGE,        /* malformed_message: floor level out of range */
} CgInterpError;
CgErrorCode cg_interp_error_code(const GError *error);

typedef struct _CgInterp CgInterp;

/* (transfer full) the state of a consult with @mode ("consecutive",
 * "simultaneous", or NULL for none), @languages (NULL-terminated, nullable),
 * @floor_language (nullable) and @floor_level_db (clamped to the range). */
CgInterp *cg_interp_new(const char *mode, const char *const *languages, const char *floor_language,
                        gint floor_level_db);
/* The same from a consult record. */
CgInterp *cg_interp_new_for(const CgConsultRecord *consult);
void cg_interp_free(CgInterp *interp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgInterp, cg_interp_free)

CgInterpMode cg_interp_mode(const CgInterp *interp);
/* (transfer none) "consecutive" / "simultaneous", NULL for none. */
const char *cg_interp_mode_name(const CgInterp *interp);
/* (transfer none) NULL-terminated, lower case. */
const char *const *cg_interp_languages(const CgInterp *interp);
const char *cg_interp_floor_language(const CgInterp *interp); /* nullable */
gint cg_interp_floor_level_db(const CgInterp *interp);
/* The declared language equal to @tag (case-insensitive), or NULL. */
const char *cg_interp_find_language(const CgInterp *interp, const char *tag);

/* May a token with @role, @language and @relay_from (both nullable) join
 * @consult? An interpreter of a consult with interpretation must carry one of
 * its languages, and a relay_from that is another of them (or none); an
 * interpreter of a consult without interpretation must carry no language.
 * FALSE with @why (transfer full) naming the claim. */
gboolean cg_interp_token_ok(const CgConsultRecord *consult, const char *role, const char *language,
                            const char *relay_from, char **why);

/* ---- members ---- */

typedef struct {
    const char *participant_id;
    guint64 peer; /* the daemon's endpoint id */
    const char *role;
    const char *language;   /* nullable */
    const char *relay_from; /* nullable: interpreters only */
    gboolean audio;         /* unmuted by itself and by any specialist */
} CgInterpJoin;

/* @join joins (a member of the same participant id is replaced). An
 * interpreter becomes live on a channel where nobody is. */
void cg_interp_join(CgInterp *interp, const CgInterpJoin *join);
/* The consult's record changed (admin API PATCH). A new floor level applies
 * at once; new channels (mode, languages, floor language) start every member
 * again from the defaults. TRUE if anything changed. */
gboolean cg_interp_reconfigure(CgInterp *interp, const CgConsultRecord *consult);
/* The member leaves; if it was live, nobody is and its partners are offered
 * the channel. No-op for an unknown id. */
void cg_interp_leave(CgInterp *interp, const char *participant_id);
/* Its audio went on or off (effective live follows). */
void cg_interp_set_audio(CgInterp *interp, const char *participant_id, gboolean on);
gboolean cg_interp_is_member(const CgInterp *interp, const char *participant_id);

/* ---- requests of a member (each refused with CG_INTERP_ERROR) ---- */

/* A listener's channel ("floor" or a declared language); @interpreter_only
 * is kept FALSE on floor. */
gboolean cg_interp_set_channel(CgInterp *interp, const char *participant_id, const char *channel,
                               gboolean interpreter_only, GError **error);
gboolean cg_interp_go_live(CgInterp *interp, const char *participant_id, GError **error);
/* @previous (nullable, transfer full): who was live before, NULL if nobody. */
gboolean cg_interp_take_over(CgInterp *interp, const char *participant_id, char **previous,
                             GError **error);
/* @to (nullable): a partner's participant id. @chosen (nullable, transfer
 * full): the partner now live. */
gboolean cg_interp_hand_over(CgInterp *interp, const char *participant_id, const char *to,
                             char **chosen, GError **error);
/* May @participant_id (a specialist) set the floor level to @db? Nothing
 * changes: the caller stores it, then cg_interp_set_floor_level(). */
gboolean cg_interp_check_floor_level(const CgInterp *interp, const char *participant_id, gint db,
                                     GError **error);
void cg_interp_set_floor_level(CgInterp *interp, gint db);

/* ---- what a member is shown (the "interpretation" message) ---- */

typedef struct {
    const char *language;
    const char *live; /* participant id, nullable */
    gboolean live_muted;
    const char **interpreters; /* NULL-terminated participant ids in join order */
} CgInterpChannelView;

typedef struct {
    gint floor_level_db;
    CgInterpChannelView *channels; /* one per declared language, in order */
    guint n_channels;
    gboolean interpreter;
    /* a listener */
    const char *channel; /* "floor" or a language */
    gboolean interpreter_only;
    /* an interpreter */
    const char *language;
    gboolean live;
    const char *relay_from; /* nullable */
    const char **partners;  /* NULL-terminated */
    gboolean offered;
} CgInterpView;

/* Fills @out (strings borrowed from @interp until its next change; clear with
 * cg_interp_view_clear()) for member @participant_id of a simultaneous
 * consult. FALSE (and @out zeroed) otherwise. */
gboolean cg_interp_view(const CgInterp *interp, const char *participant_id, CgInterpView *out);
void cg_interp_view_clear(CgInterpView *view);

/* ---- the plan ---- */

typedef struct {
    guint64 peer;
    double gain; /* linear, 0..1 */
} CgInterpInput;

typedef struct {
    char *key;      /* "ch:es", "ch:es:only", "ch:es~p-bb", "interp:p-aa" */
    GArray *inputs; /* CgInterpInput, in member join order */
} CgInterpMix;

typedef struct {
    guint64 peer;
    const char *participant_id; /* borrowed from the CgInterp */
    const char *listen;         /* a mix key, or NULL (nothing on its mix slot) */
    gboolean receive_relayed_audio;
    gboolean audio_relayed;
} CgInterpEndpoint;

typedef struct {
    GPtrArray *mixes;  /* CgInterpMix *, sorted by key */
    GArray *endpoints; /* CgInterpEndpoint, one per member in join order */
} CgInterpPlan;

/* (transfer full) the plan now. Outside simultaneous mode it has no mixes
 * and every endpoint on the relay path as in any consult (so a consult whose
 * interpretation an admin cleared goes back to it). Valid while @interp is
 * unchanged (it borrows ids). */
CgInterpPlan *cg_interp_plan(const CgInterp *interp);
void cg_interp_plan_free(CgInterpPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgInterpPlan, cg_interp_plan_free)
/* (transfer none) the mix @key of @plan, or NULL. */
const CgInterpMix *cg_interp_plan_mix(const CgInterpPlan *plan, const char *key);
/* (transfer none) the endpoint plan of @peer, or NULL. */
const CgInterpEndpoint *cg_interp_plan_endpoint(const CgInterpPlan *plan, guint64 peer);
/* 10^(@db/20). */
double cg_interp_db_to_gain(double db);

G_END_DECLS
