/* flow_common.h — what only the consult-flow tests (and authz's matrix)
 * share: consults scheduled at any time (FlowConsult keeps each
 * participant's role), hand-made tokens, and the consult's audit records
 * through the admin API. Participants, the daemon and its restart are
 * tests/support/consult_fixture.h. Every helper asserts: these are test
 * programs and the inputs are their own.
 */
#pragma once

#include "consult_fixture.h"

G_BEGIN_DECLS

typedef struct {
    char *id;
    char *tenant;
    guint n;
    char *ids[8];
    char *roles[8];
    char *tokens[8];
} FlowConsult;

void flow_consult_free(FlowConsult *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FlowConsult, flow_consult_free)

/* A consult of tenant 0 starting @starts_in_s from now (may be negative),
 * @duration_min long, with @roles (NULL-terminated). */
FlowConsult *flow_create(CgTestDaemon *d, const char *kind, gint64 starts_in_s, guint duration_min,
                         const char *const *roles);
/* (transfer full) an HS256 token signed with @secret (NULL: alg none). */
char *flow_mint(const char *secret, const char *alg, const char *iss, const char *sub,
                const char *consult, const char *role, gint64 nbf, gint64 exp);

/* (transfer full) the audit records of @c (its "records" array). */
json_t *flow_audit(CgTestDaemon *d, FlowConsult *c);
/* Records of @audit with @action by @participant. */
guint flow_audit_count(json_t *audit, const char *action, const char *participant);

G_END_DECLS
