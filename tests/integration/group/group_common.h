/* group_common.h — what only the integration-group-* tests share: N-party
 * case conferences (specialist first, then providers) where party i sends
 * its own colour and tone, and the all-to-all media check. The rest (daemon,
 * joins, /proc readings) is tests/support/consult_fixture.h. Helpers assert
 * (test programs; the inputs are the test's own). */
#pragma once

#include "consult_fixture.h"

G_BEGIN_DECLS

#define GROUP_MAX CG_FX_MAX_PARTIES
/* Sanitizer builds (cg_fx_sanitized()) run many times slower: deadlines
 * stretch, and time budgets are reported rather than asserted. */
#define GROUP_SLOWDOWN (cg_fx_sanitized() ? 4 : 1)
#define GROUP_JOIN_TIMEOUT_MS (20000 * GROUP_SLOWDOWN)
#define GROUP_MEDIA_TIMEOUT_MS (60000 * GROUP_SLOWDOWN)

extern const guint32 group_colours[GROUP_MAX];
extern const guint group_tones[GROUP_MAX];

/* A case conference of tenant 0 with @n participants (specialist first,
 * then providers). */
CgTestConsult *group_create_consult(CgTestDaemon *daemon, guint n);
/* Endpoint @i of @c joined, publishing group_colours[i] / group_tones[i] with
 * @media's video settings (colour and tone are overwritten). */
CgTestEndpoint *group_join(CgTestDaemon *daemon, CgTestConsult *c, guint i,
                           const CgRtcPeerOptions *media);
/* Asserts every one of @ep[0..n) decodes every other's colour and tone. */
void group_assert_all_media(CgTestEndpoint **ep, CgTestConsult *c, guint n);

G_END_DECLS
