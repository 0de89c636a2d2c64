/* consult_fixture.h — the steps every integration test of a consult takes,
 * on top of the daemon harness and the test endpoint: start and cleanly stop
 * consultd, create a consult with roles, join participants, wait for their
 * frames, colours and tones, check a close, decode a token, and read the
 * daemon's resource use from /proc.
 *
 * Every step asserts (these are test programs; the inputs are the test's
 * own) and says what happened instead when it fails. The /proc readers do
 * not assert: they return 0 (or FALSE) when the process is gone, so tests
 * may poll them.
 *
 * Threads: the thread-default main context; the wait functions iterate it.
 */
#pragma once

#include "daemon_harness.h"
#include "test_endpoint.h"

G_BEGIN_DECLS

/* A reply of the server: joined, an error, a waiting list... */
#define CG_FX_REPLY_TIMEOUT_MS 10000
#define CG_FX_JOIN_TIMEOUT_MS 10000
#define CG_FX_MEDIA_TIMEOUT_MS 30000
/* Most parties one consult of cg_fx_consult_new() may have. */
#define CG_FX_MAX_PARTIES 8
/* How far a decoded colour channel and tone may be from what was sent. */
#define CG_FX_COLOUR_TOLERANCE 48
#define CG_FX_TONE_TOLERANCE_HZ 10.0

/* TRUE in sanitizer builds (env CG_TEST_SANITIZED=1, set by CMake). */
gboolean cg_fx_sanitized(void);

/* (transfer full) a started daemon (@options nullable). */
CgTestDaemon *cg_fx_daemon_start(const CgTestDaemonOptions *options);
/* SIGTERM; asserts the daemon exits with status 0 within @timeout_ms. */
void cg_fx_daemon_stop_clean(CgTestDaemon *daemon, guint timeout_ms);

/* Starts consultd again on @daemon's dir and database once the last one
 * exited (cg_test_daemon_restart()); asserts it listens. */
void cg_fx_daemon_restart(CgTestDaemon *daemon);

/* (transfer full) a consult of tenant 0 with the NULL-terminated @roles (at
 * most CG_FX_MAX_PARTIES) and made-up names. */
CgTestConsult *cg_fx_consult_new(CgTestDaemon *daemon, const char *kind, const char *const *roles);
/* The same, starting @starts_in_s from now (negative: in the past) and
 * @duration_min long. */
CgTestConsult *cg_fx_consult_at(CgTestDaemon *daemon, const char *kind, gint64 starts_in_s,
                                guint duration_min, const char *const *roles);
/* (transfer full) the audit records of consult @c of tenant 0 through the
 * admin API (its "records" array). */
json_t *cg_fx_audit(CgTestDaemon *daemon, CgTestConsult *c);
/* Records of @audit with @action by @participant. */
guint cg_fx_audit_count(json_t *audit, const char *action, const char *participant);
/* (transfer full) a token with these claims (and "name"), HS256-signed with
 * @secret (NULL: unsigned, for alg "none"); @alg goes in its header as is. */
char *cg_fx_mint_token(const char *secret, const char *alg, const char *iss, const char *sub,
                       const char *consult, const char *role, gint64 nbf, gint64 exp);

/* (transfer full) an endpoint with @options (nullable), joined within
 * @timeout_ms. */
CgTestEndpoint *cg_fx_join(CgTestDaemon *daemon, const char *token,
                           const CgTestEndpointOptions *options, guint timeout_ms);
/* (transfer full) an endpoint publishing @rgb video and a @tone_hz sine,
 * admitting whoever waits (as a specialist), joined within
 * CG_FX_JOIN_TIMEOUT_MS. */
CgTestEndpoint *cg_fx_join_publishing(CgTestDaemon *daemon, const char *token, guint32 rgb,
                                      guint tone_hz);
/* (transfer full) a bare socket that sent join with @token and got "joined"
 * within @timeout_ms: the test sends every other message itself. */
CgWssClient *cg_fx_join_raw(CgTestDaemon *daemon, const char *token, guint timeout_ms);

/* Waits up to CG_FX_MEDIA_TIMEOUT_MS until @ep decoded @n frames from @id;
 * fails saying how many came. */
void cg_fx_wait_frames(CgTestEndpoint *ep, const char *id, guint n);
/* Waits until @ep decodes @from's colour @rgb (CG_FX_COLOUR_TOLERANCE) and
 * its tone @tone_hz (within @tone_tolerance_hz); FALSE on timeout. */
gboolean cg_fx_wait_media(CgTestEndpoint *ep, const char *from, guint32 rgb, guint tone_hz,
                          double tone_tolerance_hz, guint timeout_ms);

/* Participants driven step by step (waiting room, controls, resuming):
 * every message of the current socket is kept (test_endpoint.h). */
/* (transfer full) an endpoint connecting and joining, not waited for; once
 * admitted it publishes @rgb video and a @tone_hz sine (@tone_hz 0: joins
 * only, never publishes). */
CgTestEndpoint *cg_fx_endpoint(guint16 port, GTlsCertificate *cert, const char *token, guint32 rgb,
                               guint tone_hz);
/* (transfer full) one that joins with @token and the resume id @resume;
 * never publishes. */
CgTestEndpoint *cg_fx_endpoint_resuming(guint16 port, GTlsCertificate *cert, const char *token,
                                        const char *resume);
/* (transfer none) the newest message of @type received so far, or NULL. */
json_t *cg_fx_last(CgTestEndpoint *ep, const char *type);
/* (transfer none) the newest message of @type, waiting up to @timeout_ms
 * for one; NULL if none. */
json_t *cg_fx_wait(CgTestEndpoint *ep, const char *type, guint timeout_ms);
/* Messages of @type about @participant received so far ("participant" is
 * the id, or an object with that "id"). */
guint cg_fx_count_about(CgTestEndpoint *ep, const char *type, const char *participant);
/* Waits CG_FX_REPLY_TIMEOUT_MS for an error with @code on the current
 * socket; fails listing what came instead. */
void cg_fx_expect_error(CgTestEndpoint *ep, const char *code);
/* Waits for a waiting_list whose ids are exactly @ids (NULL-terminated). */
void cg_fx_expect_waiting_list(CgTestEndpoint *ep, const char *const *ids);
/* Sends {"type": @type, "participant": @participant} (participant nullable). */
void cg_fx_send(CgTestEndpoint *ep, const char *type, const char *participant);
/* (transfer none) the resume id of @ep's newest "joined", or NULL. */
const char *cg_fx_resume_id(CgTestEndpoint *ep);

/* Asserts @wss gets closed with @status and (unless NULL) @reason within
 * @timeout_ms. */
void cg_fx_assert_closed(CgWssClient *wss, guint status, const char *reason, guint timeout_ms);
/* (transfer full) the header and the claims of @token (three parts),
 * decoded without verification. */
json_t *cg_fx_token_header(const char *token);
json_t *cg_fx_token_claims(const char *token);

/* /proc readings of @pid (the daemon: cg_test_daemon_pid()). */
/* utime+stime in seconds and VmRSS in KiB; FALSE if /proc could not be read. */
gboolean cg_fx_proc_usage(GPid pid, double *cpu_s, guint64 *rss_kib);
/* Each of them; 0 when unreadable. */
double cg_fx_proc_cpu_s(GPid pid);
guint64 cg_fx_proc_rss_kib(GPid pid);
guint cg_fx_proc_threads(GPid pid);
guint cg_fx_proc_fds(GPid pid);
/* (transfer full) "name xcount, ..." of @pid's threads and of its fds'
 * targets (socket, anon_inode:[eventfd], ...), for failure messages. */
char *cg_fx_proc_describe(GPid pid);

G_END_DECLS
