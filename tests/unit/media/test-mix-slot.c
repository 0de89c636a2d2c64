/* test-mix-slot.c — a mix slot's offer (one sendonly Opus m-line of
 * consultd's own) and its RTP line: one SSRC, sequence numbers and
 * timestamps that go on across a switch of mix or a jump of the mix's own
 * line (issue 11). */
#include "relay-private.h"

#include <string.h>

static char *mix_offer(guint32 ssrc)
{
    g_autoptr(CgSdp) source = cg_offer_mix_source(ssrc);
    CgOfferNames names;
    cg_offer_mix_names(&names);
    GString *hex = g_string_new(NULL);
    for (guint i = 0; i < 32; i++)
        g_string_append_printf(hex, "%s%02X", i ? ":" : "", i * 7);
    g_autofree char *value = g_string_free(hex, FALSE);
    CgSdpFingerprint fp = {.hash_func = (char *)"sha-256", .value = value};
    CgSdpLocal local = {
        .ice_ufrag = "ufrag", .ice_pwd = "pwdpwdpwdpwdpwdpwdpwdpwd", .fingerprint = &fp};
    g_autoptr(GError) error = NULL;
    char *text = cg_sdp_build_sub_offer(source, &local, &names.relay, &error);
    g_assert_no_error(error);
    return text;
}

static void test_offer(void)
{
    g_autofree char *text = mix_offer(123456789);
    g_test_message("%s", text);
    g_assert_nonnull(strstr(text, "a=group:BUNDLE 0\r\n"));
    g_assert_nonnull(strstr(text, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
    g_assert_null(strstr(text + (strstr(text, "m=audio") - text) + 1, "m="));
    g_assert_nonnull(strstr(text, "a=mid:0\r\n"));
    g_assert_nonnull(strstr(text, "a=sendonly\r\n"));
    g_assert_nonnull(strstr(text, "a=rtcp-mux\r\n"));
    g_assert_nonnull(strstr(text, "a=rtpmap:111 opus/48000/2\r\n"));
    /* the mixer's encoder: in-band FEC, no DTX */
    g_assert_nonnull(strstr(text, "a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
    g_assert_null(strstr(text, "usedtx"));
    g_assert_nonnull(strstr(text, "a=ssrc:123456789 cname:cg-mix\r\n"));
    g_assert_nonnull(strstr(text, "a=ssrc:123456789 msid:cg-mix cg-mix-audio\r\n"));
    g_assert_null(strstr(text, "a=extmap"));
    g_assert_null(strstr(text, "a=rtcp-fb"));
    /* and it reads back as one usable audio m-line */
    g_autoptr(GError) error = NULL;
    g_autoptr(CgSdp) back = cg_sdp_parse(text, strlen(text), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(back->n_media, ==, 1);
    g_assert_true(cg_sdp_media_usable(&back->media[0]));
    g_assert_cmpuint(back->media[0].codec.pt, ==, CG_MIXER_PAYLOAD_TYPE);
}

static void step(CgMixTimeline *tl, guint32 ssrc, guint16 seq, guint32 ts, gint64 now,
                 guint16 *out_seq, guint32 *out_ts, gboolean *marker)
{
    cg_mix_timeline_next(tl, ssrc, seq, ts, now, out_seq, out_ts, marker);
}

static void test_timeline(void)
{
    CgMixTimeline tl = {0};
    guint16 seq, seq0;
    guint32 ts, ts0;
    gboolean marker;
    gint64 now = 1000000;
    /* the mix's line, followed packet by packet */
    step(&tl, 0xaaaa, 100, 5000, now, &seq0, &ts0, &marker);
    g_assert_true(marker);
    for (guint i = 1; i <= 10; i++) {
        step(&tl, 0xaaaa, (guint16)(100 + i), 5000 + i * 960, now + i * 20000, &seq, &ts, &marker);
        g_assert_false(marker);
        g_assert_cmpuint(seq, ==, (guint16)(seq0 + i));
        g_assert_cmpuint(ts, ==, ts0 + i * 960);
    }
    /* a lost packet of the mix stays a loss */
    step(&tl, 0xaaaa, 112, 5000 + 12 * 960, now + 12 * 20000, &seq, &ts, &marker);
    g_assert_false(marker);
    g_assert_cmpuint(seq, ==, (guint16)(seq0 + 12));
    g_assert_cmpuint(ts, ==, ts0 + 12 * 960);
    /* another mix (another SSRC, far-off numbers): one on, 20 ms on */
    step(&tl, 0xbbbb, 60000, 999999, now + 13 * 20000, &seq, &ts, &marker);
    g_assert_true(marker);
    g_assert_cmpuint(seq, ==, (guint16)(seq0 + 13));
    g_assert_cmpuint(ts, ==, ts0 + 13 * 960);
    step(&tl, 0xbbbb, 60001, 999999 + 960, now + 14 * 20000, &seq, &ts, &marker);
    g_assert_false(marker);
    g_assert_cmpuint(seq, ==, (guint16)(seq0 + 14));
    g_assert_cmpuint(ts, ==, ts0 + 14 * 960);
    /* a switch back with the same SSRC and nearby numbers still re-bases */
    tl.rebase = TRUE;
    step(&tl, 0xbbbb, 60002, 999999 + 2 * 960, now + 15 * 20000, &seq, &ts, &marker);
    g_assert_true(marker);
    g_assert_cmpuint(seq, ==, (guint16)(seq0 + 15));
    /* the same mix jumping backwards, after 1 s of nothing: 1 s of media time on */
    step(&tl, 0xbbbb, 10, 42, now + 15 * 20000 + G_USEC_PER_SEC, &seq, &ts, &marker);
    g_assert_true(marker);
    g_assert_cmpuint(seq, ==, (guint16)(seq0 + 16));
    g_assert_cmpuint(ts, ==, ts0 + 15 * 960 + 48000);
    /* sequence numbers wrap without a re-base */
    CgMixTimeline w = {0};
    step(&w, 1, 65535, 0, now, &seq0, &ts0, &marker);
    step(&w, 1, 0, 960, now + 20000, &seq, &ts, &marker);
    g_assert_false(marker);
    g_assert_cmpuint(seq, ==, (guint16)(seq0 + 1));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mix-slot/offer", test_offer);
    g_test_add_func("/mix-slot/timeline", test_timeline);
    return g_test_run();
}
