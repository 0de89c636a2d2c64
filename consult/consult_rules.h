/* consult_rules.h — the consult's phase and who may join it, when, and how.
 *
 * Pure: no I/O, no clock, no globals; "now" is passed in (seconds since the
 * epoch, UTC). The records are the store's (store.h); nothing here writes them.
 *
 * Phase: scheduled -> open (from starts_at - open_before_min) -> live (once
 * live_since is set) -> ended (at starts_at + duration + grace_min, or when
 * the stored state says ended); cancelled when the stored state says so.
 *
 * Join decision, in this order: cancelled -> consult_cancelled; ended ->
 * consult_ended; the role is not allowed in the kind (a patient in a case
 * conference) -> role_not_allowed; removed -> participant_removed; scheduled
 * -> consult_not_open_yet (with the time it opens). Otherwise: admitted once
 * -> admit; patient -> wait; provider -> wait if the consult says
 * providers_wait; everyone else (specialist, interpreter, observer) -> admit.
 * Callable from any thread.
 */
#pragma once

#include <glib.h>

#include "protocol_errors.h"
#include "store.h"

G_BEGIN_DECLS

typedef enum {
    CG_CONSULT_PHASE_SCHEDULED,
    CG_CONSULT_PHASE_OPEN,
    CG_CONSULT_PHASE_LIVE,
    CG_CONSULT_PHASE_ENDED,
    CG_CONSULT_PHASE_CANCELLED,
} CgConsultPhase;

/* The two config keys that shape the window (consults.open_before_min,
 * consults.grace_min). */
typedef struct {
    guint open_before_min;
    guint grace_min;
} CgConsultWindow;

typedef enum {
    CG_JOIN_REFUSE, /* code (and opens_at for consult_not_open_yet) say why */
    CG_JOIN_ADMIT,  /* straight into the consult */
    CG_JOIN_WAIT,   /* into the waiting room until a specialist admits */
} CgJoinVerdict;

typedef struct {
    CgJoinVerdict verdict;
    CgErrorCode code; /* the protocol error code when refused, else 0 (unused) */
    gint64 opens_at;  /* set with consult_not_open_yet */
} CgJoinDecision;

/* Seconds since the epoch when joins open / when the consult ends by time. */
gint64 cg_consult_opens_at(const CgConsultRecord *consult, const CgConsultWindow *window);
gint64 cg_consult_ends_at(const CgConsultRecord *consult, const CgConsultWindow *window);

CgConsultPhase cg_consult_phase(const CgConsultRecord *consult, const CgConsultWindow *window,
                                gint64 now);
/* (transfer none) "scheduled", "open", "live", "ended", "cancelled". */
const char *cg_consult_phase_name(CgConsultPhase phase);

/* Whether @participant (its role, admitted and removed flags) may join
 * @consult at @now. @participant->role must be the role the token carries
 * (the caller checks they match). */
CgJoinDecision cg_consult_join_decision(const CgConsultRecord *consult,
                                        const CgParticipantRecord *participant,
                                        const CgConsultWindow *window, gint64 now);

/* The cap (kbps, 0 = none) on each endpoint's published video in @consult:
 * its own when set, else @config_default (consults.video_bitrate_kbps). */
guint cg_consult_video_bitrate_kbps(const CgConsultRecord *consult, guint config_default);

/* Only specialists admit, decline, remove, mute and end. */
gboolean cg_role_may_moderate(const char *role);
/* After a specialist muted them: clinicians (specialist, provider,
 * interpreter) may unmute themselves; patients and observers may not. */
gboolean cg_role_may_unmute_self(const char *role);

/* (transfer full) @t as RFC 3339 UTC ("2026-11-22T14:00:00Z"). */
char *cg_rfc3339(gint64 t);

G_END_DECLS
