/* test-offer.c — cg_offer_check(): a publish offer is checked whole
 * before the relay takes it (issue 9, findings 2 and 3). A table of
 * first offers and re-offers, each taken or refused with a message naming
 * the problem. */
#include "relay-private.h"

#include <string.h>

typedef struct {
    gboolean video;
    const char *mid; /* NULL: no a=mid */
    const char *dir;
    guint32 ssrc; /* 0: no a=ssrc */
} Line;

static char *offer_text(const char *ufrag, const Line *lines, guint n)
{
    GString *s = g_string_new("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE");
    for (guint i = 0; i < n; i++)
        if (lines[i].mid)
            g_string_append_printf(s, " %s", lines[i].mid);
    g_string_append(s, "\r\na=fingerprint:sha-256 ");
    for (guint i = 0; i < 32; i++)
        g_string_append_printf(s, "%s%02X", i ? ":" : "", i * 7);
    g_string_append(s, "\r\n");
    for (guint i = 0; i < n; i++) {
        const Line *l = &lines[i];
        g_string_append_printf(s,
                               "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\na=rtcp-mux\r\n"
                               "a=ice-ufrag:%s\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
                               "a=setup:actpass\r\na=%s\r\n%s\r\n",
                               l->video ? "video" : "audio", l->video ? 96 : 111, ufrag, l->dir,
                               l->video ? "a=rtpmap:96 VP8/90000" : "a=rtpmap:111 opus/48000/2");
        if (l->mid)
            g_string_append_printf(s, "a=mid:%s\r\n", l->mid);
        if (l->ssrc)
            g_string_append_printf(s, "a=ssrc:%u cname:x\r\n", l->ssrc);
    }
    return g_string_free(s, FALSE);
}

typedef struct {
    CgMedia relay;
    CgEndpoint ep;
} Fixture;

static void fixture_init(Fixture *f, gboolean screen_allowed)
{
    memset(f, 0, sizeof *f);
    g_autoptr(GError) error = NULL;
    f->relay.identity = cg_dtls_identity_new(&error);
    g_assert_no_error(error);
    f->ep.relay = &f->relay;
    f->ep.id = 7;
    f->ep.fanout = g_ptr_array_new();
    f->ep.screen_allowed = screen_allowed;
}

static void fixture_clear(Fixture *f)
{
    cg_sdp_free(f->ep.offer);
    g_ptr_array_unref(f->ep.fanout);
    cg_dtls_identity_unref(f->relay.identity);
}

/* NULL if taken (and *restart), else the refusal's message (transfer full). */
static char *check(Fixture *f, const char *ufrag, const Line *lines, guint n, gboolean *restart)
{
    g_autofree char *text = offer_text(ufrag, lines, n);
    g_autoptr(GError) error = NULL;
    g_autoptr(CgSdp) offer = cg_sdp_parse(text, strlen(text), &error);
    gboolean r = FALSE;
    if (offer && cg_offer_check(&f->ep, offer, &r, &error)) {
        if (restart)
            *restart = r;
        return NULL;
    }
    g_assert_nonnull(error);
    g_assert_true(error->code == CG_MEDIA_ERROR_BAD_SDP || error->code == CG_MEDIA_ERROR_LIMIT);
    return g_strdup(error->message);
}

static void refused(Fixture *f, const Line *lines, guint n, const char *needle)
{
    g_autofree char *why = check(f, "ufr1", lines, n, NULL);
    if (!why)
        g_error("an offer that should be refused (%s) was taken", needle);
    if (!strstr(why, needle))
        g_error("refused with \"%s\", which does not name \"%s\"", why, needle);
}

static void taken(Fixture *f, const char *ufrag, const Line *lines, guint n, gboolean *restart)
{
    g_autofree char *why = check(f, ufrag, lines, n, restart);
    if (why)
        g_error("a sound offer was refused: %s", why);
}

static void test_first_offer(void)
{
    Fixture f;
    fixture_init(&f, FALSE);
    const Line good[] = {{FALSE, "0", "sendonly", 11}, {TRUE, "1", "sendonly", 22}};
    taken(&f, "ufr1", good, 2, NULL);
    taken(&f, "ufr1", good, 1, NULL); /* audio only */
    const Line mid32[] = {{FALSE, "01234567890123456789012345678901", "sendonly", 11}};
    taken(&f, "ufr1", mid32, 1, NULL);

    const Line recvonly[] = {{FALSE, "0", "recvonly", 0}, {TRUE, "1", "recvonly", 0}};
    refused(&f, recvonly, 2, "sends nothing");
    const Line inactive[] = {{FALSE, "0", "inactive", 0}, {TRUE, "1", "inactive", 0}};
    refused(&f, inactive, 2, "sends nothing");
    const Line mid33[] = {{FALSE, "012345678901234567890123456789012", "sendonly", 11}};
    refused(&f, mid33, 1, "a=mid");
    const Line no_mid[] = {{FALSE, NULL, "sendonly", 11}, {TRUE, "1", "sendonly", 22}};
    refused(&f, no_mid, 2, "a=mid");
    const Line same_mid[] = {{FALSE, "0", "sendonly", 11}, {TRUE, "0", "sendonly", 22}};
    refused(&f, same_mid, 2, "mid");
    const Line same_ssrc[] = {{FALSE, "0", "sendonly", 11}, {TRUE, "1", "sendonly", 11}};
    refused(&f, same_ssrc, 2, "SSRC");
    /* a patient's first offer with a screen share */
    const Line screen[] = {
        {FALSE, "0", "sendonly", 11}, {TRUE, "1", "sendonly", 22}, {TRUE, "2", "sendonly", 33}};
    refused(&f, screen, 3, "screen sharing is for clinicians");
    fixture_clear(&f);

    fixture_init(&f, TRUE); /* a clinician may */
    taken(&f, "ufr1", screen, 3, NULL);
    fixture_clear(&f);
}

static void test_reoffer(void)
{
    Fixture f;
    fixture_init(&f, FALSE);
    const Line good[] = {{FALSE, "0", "sendonly", 11}, {TRUE, "1", "sendonly", 22}};
    g_autofree char *text = offer_text("ufr1", good, 2);
    f.ep.offer = cg_sdp_parse(text, strlen(text), NULL);
    g_assert_nonnull(f.ep.offer);

    gboolean restart = TRUE;
    taken(&f, "ufr1", good, 2, &restart);
    g_assert_false(restart);
    taken(&f, "ufr2", good, 2, &restart);
    g_assert_true(restart);
    refused(&f, good, 1, "may not be removed");
    const Line moved[] = {{FALSE, "0", "sendonly", 11}, {TRUE, "x", "sendonly", 22}};
    refused(&f, moved, 2, "kind or mid");
    const Line screen[] = {
        {FALSE, "0", "sendonly", 11}, {TRUE, "1", "sendonly", 22}, {TRUE, "2", "sendonly", 33}};
    refused(&f, screen, 3, "screen sharing is for clinicians");
    const Line silent[] = {{FALSE, "0", "inactive", 0}, {TRUE, "1", "inactive", 0}};
    refused(&f, silent, 2, "sends nothing");
    fixture_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/offer/first-offer", test_first_offer);
    g_test_add_func("/offer/reoffer", test_reoffer);
    return g_test_run();
}
