/* join.h — the join path of a WebSocket peer, in three jobs:
 *   join_auth.c   authorisation: token (issuer, signature, times), tenant,
 *                 the stored consult and participant, the consult rules;
 *   join_limit.c  the per-address limit on failed authentication;
 *   join.c        what follows: a refusal, a new seat (admitted or waiting),
 *                 or a held seat taken back (seats.c).
 * Not a public interface: signaling/ only. Main thread only. */
#pragma once

#include "server-private.h"

#include "jwt.h"

/* What a join attempt found out; every string owned. */
typedef struct {
    gboolean refused;   /* with code and message; else admitted or waiting */
    CgErrorCode code;   /* the refusal */
    char *message;      /* for the refusal */
    char *opens_at;     /* consult_not_open_yet */
    char *audit_tenant; /* tenant known to be real (verified, or a configured issuer) */
    gboolean verified;  /* the token's signature and claims verified */
    CgJoinVerdict verdict;
    CgTokenClaims claims;
    CgConsultRecord consult;
    CgParticipantRecord participant;
} CgJoinAttempt;

/* ---- join_auth.c ---- */
void cg_join_attempt_clear(CgJoinAttempt *a);
/* Records the refusal @code with @message (transfer full); returns FALSE. */
gboolean cg_join_refuse(CgJoinAttempt *a, CgErrorCode code, char *message);
/* Checks the token, the consult and the consult rules. TRUE with
 * a->verdict admit or wait; FALSE with the refusal in @a. */
gboolean cg_join_authorise(CgSignaling *s, const char *token, CgJoinAttempt *a);

/* ---- join_limit.c ---- */
/* Per-address limit on failed authentication (consult/rate_limit.h). */
gboolean cg_peers_over_failure_limit(CgSignaling *s, const char *remote);
void cg_peers_note_auth_failure(CgSignaling *s, const char *remote);
/* Refusals that count as a failed authentication for the rate limit. */
gboolean cg_join_is_auth_failure(CgErrorCode code);
/* The address is over its failed-join limit and this token is no valid
 * credential: too_many_failures, audited once per address and window (the
 * rest in one aggregate record, admin_api.h). @action: "join" or "resume". */
void cg_join_refuse_over_limit(CgPeer *peer, const char *action);

/* ---- join.c ---- */
/* A "join" message on @peer's socket. */
void cg_join_handle(CgPeer *peer, const CgClientMessage *msg);
