/* consult_common.h — shared steps of the integration-consult-* tests: start a
 * daemon, create a consult, bring endpoints in, decode token claims. Every
 * helper asserts (these are test programs; the inputs are the test's own). */
#pragma once

#include "daemon_harness.h"
#include "test_endpoint.h"

G_BEGIN_DECLS

#define IT_JOIN_TIMEOUT_MS 10000
#define IT_MEDIA_TIMEOUT_MS 30000

CgTestDaemon *it_start_daemon(const CgTestDaemonOptions *options);
/* A virtual consult of tenant 0 with @roles (NULL-terminated); names are made up. */
CgTestConsult *it_create_consult(CgTestDaemon *daemon, const char *kind,
                                 const char *const *roles);
/* An endpoint publishing @rgb video and a @tone_hz sine, joined. */
CgTestEndpoint *it_join(CgTestDaemon *daemon, const char *token, guint32 rgb, guint tone_hz);
/* Waits until @ep decoded @n frames from @id, failing with counts otherwise. */
void it_wait_frames(CgTestEndpoint *ep, const char *id, guint n);
/* (transfer full) the claims of @token, decoded without verification. */
json_t *it_token_claims(const char *token);
/* Asserts @wss got closed with @status and @reason within @timeout_ms. */
void it_assert_closed(CgWssClient *wss, guint status, const char *reason, guint timeout_ms);

G_END_DECLS
