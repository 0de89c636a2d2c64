/* group_common.h — shared steps of the integration-group-* tests: N-party
 * calls through the real consultd (tests/support: daemon harness, WSS
 * client, webrtcbin test endpoint), and /proc readings of the daemon.
 * Helpers assert (test programs; the inputs are the test's own). */
#pragma once

#include "daemon_harness.h"
#include "test_endpoint.h"

G_BEGIN_DECLS

#define GROUP_MAX 8
/* Sanitizer builds (CG_TEST_SANITIZED=1, set by CMake) run many times slower:
 * deadlines stretch, and time budgets are reported rather than asserted. */
gboolean group_sanitized(void);
#define GROUP_SLOWDOWN (group_sanitized() ? 4 : 1)
#define GROUP_JOIN_TIMEOUT_MS (20000 * GROUP_SLOWDOWN)
#define GROUP_MEDIA_TIMEOUT_MS (60000 * GROUP_SLOWDOWN)

extern const guint32 group_colours[GROUP_MAX];
extern const guint group_tones[GROUP_MAX];

CgTestDaemon *group_start_daemon(guint max_participants);
/* A case conference of tenant 0 with @n participants (specialist first,
 * then providers). */
CgTestConsult *group_create_consult(CgTestDaemon *daemon, guint n);
/* Endpoint @i of @c joined, publishing group_colours[i] / group_tones[i] with
 * @media's video settings (colour and tone are overwritten). */
CgTestEndpoint *group_join(CgTestDaemon *daemon, CgTestConsult *c, guint i,
                           const CgRtcPeerOptions *media);
/* Waits until @ep decodes @from's colour (@rgb) and tone; FALSE on timeout. */
gboolean group_wait_media(CgTestEndpoint *ep, const char *from, guint32 rgb, guint tone,
                          guint timeout_ms);
/* Asserts every one of @ep[0..n) decodes every other's colour and tone. */
void group_assert_all_media(CgTestEndpoint **ep, CgTestConsult *c, guint n);

/* utime+stime in seconds and VmRSS in KiB of @pid. */
gboolean group_proc_usage(GPid pid, double *cpu_s, guint64 *rss_kib);
/* Threads (from /proc/PID/status) and open fds (/proc/PID/fd) of @pid. */
guint group_proc_threads(GPid pid);
guint group_proc_fds(GPid pid);
/* (transfer full) "name×count, ..." of @pid's threads, and of its fds'
 * targets (socket:, anon_inode:[eventfd], ...), for failure messages. */
char *group_proc_describe(GPid pid);

G_END_DECLS
