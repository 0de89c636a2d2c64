/* negotiation_common.h — what the integration-negotiation-* tests share: a
 * hand-written publish offer (what an attacker's client, not a browser, may
 * send) and waiting for the server's reply to it. */
#pragma once

#include "consult_fixture.h"

G_BEGIN_DECLS

#define NT_REPLY_TIMEOUT_MS 5000

/* One m-line of a hand-written offer. */
typedef struct {
    gboolean video;    /* VP8 (pt 96), else Opus (pt 111) */
    const char *mid;   /* NULL: no a=mid */
    const char *dir;   /* "sendonly", "recvonly", ... */
    guint32 ssrc;      /* first a=ssrc (0: none) */
    guint extra_ssrcs; /* more a=ssrc lines after it (ssrc+1, ...) */
} NtLine;

/* (transfer full) A publish offer with @n m-lines, BUNDLEd, rtcp-mux,
 * DTLS-SRTP (a made-up fingerprint: its DTLS never completes, which these
 * tests do not need: the server takes or refuses an offer at once). */
char *nt_offer(const NtLine *lines, guint n);
/* Sends @sdp as an "offer" on "pub". */
void nt_send_offer(CgWssClient *wss, const char *sdp);
/* (transfer full) The server's reply to it: the next "error" or "answer" on
 * "pub" (other messages are dropped), NULL after @timeout_ms. */
json_t *nt_wait_reply(CgWssClient *wss, guint timeout_ms);
/* Asserts @ep is still in the consult, decoding @other's video, with no
 * error sent to it at all (media_failed above all). */
void nt_assert_unharmed(CgTestEndpoint *ep, const char *other);

G_END_DECLS
