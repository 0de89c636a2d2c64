/* test-sdp-policy.c — cg_sdp_policy_apply on a realistic Chrome offer and on
 * what must be refused. */
#include "media.h"
#include "sdp_policy.h"

#include <gst/sdp/sdp.h>
#include <string.h>

#define FP                                                                                         \
    "sha-256 "                                                                                     \
    "5B:0E:3F:1D:9A:62:C4:77:10:AB:8E:F2:33:6D:91:CE:04:58:BB:7A:E1:29:6F:D0:3C:84:1A:F5:72:09:"   \
    "BE:4D"

/* Chrome 120-style offer: audio opus/red/G722/PCMU/CN/telephone-event, video
 * VP8 first then rtx, VP9, AV1, H264, red, ulpfec; extmaps; BUNDLE. */
static const char chrome_offer[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS 5y2\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:" FP "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendonly\r\n"
    "a=msid:5y2 a0\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ssrc:1001 cname:x\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 35 36 45 46 102 103 116 117 118\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:" FP "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:13 urn:3gpp:video-orientation\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendonly\r\n"
    "a=msid:5y2 v0\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:98 VP9/90000\r\n"
    "a=rtcp-fb:98 nack pli\r\n"
    "a=fmtp:98 profile-id=0\r\n"
    "a=rtpmap:99 rtx/90000\r\n"
    "a=fmtp:99 apt=98\r\n"
    "a=rtpmap:35 AV1/90000\r\n"
    "a=rtcp-fb:35 nack pli\r\n"
    "a=rtpmap:36 rtx/90000\r\n"
    "a=fmtp:36 apt=35\r\n"
    "a=rtpmap:45 AV1/90000\r\n"
    "a=fmtp:45 level-idx=5;profile=1;tier=0\r\n"
    "a=rtpmap:46 rtx/90000\r\n"
    "a=fmtp:46 apt=45\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=rtcp-fb:102 nack pli\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=fmtp:103 apt=102\r\n"
    "a=rtpmap:116 red/90000\r\n"
    "a=rtpmap:117 rtx/90000\r\n"
    "a=fmtp:117 apt=116\r\n"
    "a=rtpmap:118 ulpfec/90000\r\n"
    "a=ssrc-group:FID 2001 2002\r\n"
    "a=ssrc:2001 cname:x\r\n"
    "a=ssrc:2002 cname:x\r\n";

static char *replace(const char *s, const char *from, const char *to)
{
    g_auto(GStrv) parts = g_strsplit(s, from, -1);
    return g_strjoinv(to, parts);
}

static char *apply(const char *sdp, CgSdpFingerprint *fp, GError **error)
{
    return cg_sdp_policy_apply(sdp, strlen(sdp), fp, error);
}

static void refused(const char *sdp, CgMediaError code)
{
    CgSdpFingerprint fp = {0};
    g_autoptr(GError) error = NULL;
    g_autofree char *out = apply(sdp, &fp, &error);
    g_assert_null(out);
    g_assert_error(error, CG_MEDIA_ERROR, (gint)code);
    g_assert_null(fp.hash_func);
}

static void test_chrome_filtered(void)
{
    CgSdpFingerprint fp = {0};
    g_autoptr(GError) error = NULL;
    g_autofree char *out = apply(chrome_offer, &fp, &error);
    g_assert_no_error(error);
    g_assert_nonnull(out);
    g_assert_cmpstr(fp.hash_func, ==, "sha-256");
    g_assert_true(strstr(FP, fp.value) != NULL);

    g_autoptr(GstSDPMessage) msg = NULL;
    g_assert_cmpint(gst_sdp_message_new_from_text(out, &msg), ==, GST_SDP_OK);
    g_assert_cmpuint(gst_sdp_message_medias_len(msg), ==, 2);
    const GstSDPMedia *a = gst_sdp_message_get_media(msg, 0);
    const GstSDPMedia *v = gst_sdp_message_get_media(msg, 1);
    g_assert_cmpuint(gst_sdp_media_formats_len(a), ==, 1);
    g_assert_cmpstr(gst_sdp_media_get_format(a, 0), ==, "111");
    g_assert_cmpuint(gst_sdp_media_formats_len(v), ==, 1);
    g_assert_cmpstr(gst_sdp_media_get_format(v, 0), ==, "96");
    g_assert_cmpuint(gst_sdp_media_get_port(v), ==, 9);
    /* nothing of the dropped codecs is left, their lines included */
    const char *gone[] = {"red/", "rtx/",       "VP9",
                          "AV1",  "H264",       "ulpfec",
                          "G722", "PCMU",       "telephone-event",
                          "apt=", "ssrc-group", "rtcp-fb:98",
                          NULL};
    for (guint i = 0; gone[i]; i++)
        g_assert_null(strstr(out, gone[i]));
    /* what is kept stays: opus fmtp, VP8 feedback, BUNDLE, mids, extmaps */
    g_assert_nonnull(strstr(out, "a=fmtp:111 minptime=10;useinbandfec=1"));
    g_assert_nonnull(strstr(out, "a=rtcp-fb:96 nack pli"));
    g_assert_nonnull(strstr(out, "a=group:BUNDLE 0 1"));
    g_assert_nonnull(strstr(out, "a=mid:1"));
    g_assert_nonnull(strstr(out, "a=ssrc:2001 cname:x"));
    cg_sdp_fingerprint_clear(&fp);

    /* the filtered SDP passes the policy again unchanged */
    CgSdpFingerprint fp2 = {0};
    g_autofree char *again = apply(out, &fp2, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(again, ==, out);
    cg_sdp_fingerprint_clear(&fp2);
}

static void test_plain_rtp_refused(void)
{
    g_autofree char *avp = replace(chrome_offer, "UDP/TLS/RTP/SAVPF", "RTP/AVP");
    refused(avp, CG_MEDIA_ERROR_DTLS_REQUIRED);
    g_autofree char *savp = replace(chrome_offer, "UDP/TLS/RTP/SAVPF", "RTP/SAVP");
    refused(savp, CG_MEDIA_ERROR_DTLS_REQUIRED);
}

static void test_crypto_refused(void)
{
    g_autofree char *sdes = replace(chrome_offer, "a=mid:1\r\n",
                                    "a=mid:1\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                                    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n");
    refused(sdes, CG_MEDIA_ERROR_DTLS_REQUIRED);
}

static void test_fingerprint_required(void)
{
    g_autofree char *none = replace(chrome_offer, "a=fingerprint:" FP "\r\n", "");
    refused(none, CG_MEDIA_ERROR_DTLS_REQUIRED);
    /* session level only: accepted */
    g_autofree char *session = replace(none, "t=0 0\r\n", "t=0 0\r\na=fingerprint:" FP "\r\n");
    CgSdpFingerprint fp = {0};
    g_autofree char *out = apply(session, &fp, NULL);
    g_assert_nonnull(out);
    g_assert_cmpstr(fp.hash_func, ==, "sha-256");
    cg_sdp_fingerprint_clear(&fp);
    g_autofree char *badhash = replace(chrome_offer, "sha-256 5B", "md5 5B");
    refused(badhash, CG_MEDIA_ERROR_DTLS_REQUIRED);
    g_autofree char *two = replace(chrome_offer, "a=mid:1\r\na=extmap:14",
                                   "a=mid:1\r\na=fingerprint:sha-1 AA:BB\r\na=extmap:14");
    refused(two, CG_MEDIA_ERROR_DTLS_REQUIRED);
}

static void test_garbage_refused(void)
{
    refused("hello world", CG_MEDIA_ERROR_BAD_SDP);
    refused("v=0\r\n", CG_MEDIA_ERROR_BAD_SDP);
    CgSdpFingerprint fp = {0};
    g_autoptr(GError) error = NULL;
    g_assert_null(cg_sdp_policy_apply("", 0, &fp, &error));
    g_assert_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP);
    g_clear_error(&error);
    static const char nul[] = "v=0\r\n\0m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
    g_assert_null(cg_sdp_policy_apply(nul, sizeof nul - 1, &fp, &error));
    g_assert_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP);
    /* oversize: the offer padded with attribute lines past 32 KiB */
    GString *big = g_string_new(chrome_offer);
    while (big->len <= 32768)
        g_string_append(big, "a=x-padding:0123456789012345678901234567890123456789\r\n");
    refused(big->str, CG_MEDIA_ERROR_BAD_SDP);
    g_string_free(big, TRUE);
}

static void test_nothing_usable_refused(void)
{
    g_autofree char *a = replace(chrome_offer, "opus/48000", "ilbc/48000");
    g_autofree char *b = replace(a, "VP8/90000", "H265/90000");
    refused(b, CG_MEDIA_ERROR_BAD_SDP);
    /* video only still usable: the audio m-line is rejected with port 0 */
    CgSdpFingerprint fp = {0};
    g_autofree char *out = apply(a, &fp, NULL);
    g_assert_nonnull(out);
    g_assert_nonnull(strstr(out, "m=audio 0 "));
    cg_sdp_fingerprint_clear(&fp);
}

static char *resilient(const char *sdp)
{
    GstSDPMessage *msg = NULL;
    g_assert_cmpint(gst_sdp_message_new_from_text(sdp, &msg), ==, GST_SDP_OK);
    cg_sdp_enable_opus_resilience(msg);
    char *text = gst_sdp_message_as_text(msg);
    gst_sdp_message_free(msg);
    return text;
}

static void test_opus_resilience(void)
{
    const char *head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    /* existing parameters kept, FEC turned on where it was off, DTX added */
    g_autofree char *a = g_strconcat(head,
                                     "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                     "a=rtpmap:111 OPUS/48000/2\r\n"
                                     "a=fmtp:111 minptime=10;useinbandfec=0\r\n",
                                     NULL);
    g_autofree char *ra = resilient(a);
    g_assert_nonnull(strstr(ra, "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"));
    g_assert_null(strstr(ra, "useinbandfec=0"));
    /* no fmtp at all: one is added; video untouched */
    g_autofree char *b = g_strconcat(head,
                                     "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\n"
                                     "a=rtpmap:96 opus/48000/2\r\n"
                                     "m=video 9 UDP/TLS/RTP/SAVPF 97\r\n"
                                     "a=rtpmap:97 VP8/90000\r\n"
                                     "a=fmtp:97 max-fr=30\r\n",
                                     NULL);
    g_autofree char *rb = resilient(b);
    g_assert_nonnull(strstr(rb, "a=fmtp:96 useinbandfec=1;usedtx=1\r\n"));
    g_assert_nonnull(strstr(rb, "a=fmtp:97 max-fr=30\r\n"));
    g_assert_null(strstr(rb, "a=fmtp:97 useinbandfec"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sdp-policy/chrome-filtered", test_chrome_filtered);
    g_test_add_func("/sdp-policy/plain-rtp-refused", test_plain_rtp_refused);
    g_test_add_func("/sdp-policy/crypto-refused", test_crypto_refused);
    g_test_add_func("/sdp-policy/fingerprint-required", test_fingerprint_required);
    g_test_add_func("/sdp-policy/garbage-refused", test_garbage_refused);
    g_test_add_func("/sdp-policy/nothing-usable-refused", test_nothing_usable_refused);
    g_test_add_func("/sdp-policy/opus-resilience", test_opus_resilience);
    return g_test_run();
}
