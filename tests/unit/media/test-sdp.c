/* test-sdp.c — the relay's SDP model on a Chrome 120 and a webrtcbin
 * 1.22 offer: parsing, consultd's answer, a subscribe offer and its answer
 * check, and truncated or garbage input. */
#include "sdp.h"
#include "media.h"

#include <gst/sdp/sdp.h>
#include <string.h>

#define FP_HEX                                                                                     \
    "5B:0E:3F:1D:9A:62:C4:77:10:AB:8E:F2:33:6D:91:CE:04:58:BB:7A:E1:29:6F:D0:3C:84:1A:F5:72:09:"   \
    "BE:4D"
#define OUR_FP_HEX                                                                                 \
    "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:"   \
    "FF:00"
#define STREAM "5y2Lfs4wBpQ4IOQGmvVQwYHKpqQoFhXvHMuA"
#define ATRACK "a0e1c1f4-8b6e-4b0e-9d4e-2f0b2f3c6a11"
#define VTRACK "c7d2a9e0-3f41-4a6b-8e15-77b1d0c2e9f3"
#define CAND0 "candidate:1467250027 1 udp 2122260223 192.168.1.20 51470 typ host generation 0"
#define CAND1                                                                                      \
    "candidate:842163049 1 udp 1686052607 203.0.113.7 51470 typ srflx raddr 192.168.1.20 rport "   \
    "51470 generation 0"

/* Chrome 120 publishing camera and microphone (sendonly transceivers). */
static const char chrome_offer[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS " STREAM "\r\n"
    "m=audio 51470 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 203.0.113.7\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=" CAND0 "\r\n"
    "a=" CAND1 "\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 " FP_HEX "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendonly\r\n"
    "a=msid:" STREAM " " ATRACK "\r\n"
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
    "a=ssrc:1397530181 cname:EsAwQh3Xk1V9Vb0Q\r\n"
    "a=ssrc:1397530181 msid:" STREAM " " ATRACK "\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 102 103 116 117 118\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:EsAw\r\n"
    "a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 " FP_HEX "\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:13 urn:3gpp:video-orientation\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
    "a=sendonly\r\n"
    "a=msid:" STREAM " " VTRACK "\r\n"
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
    "a=rtpmap:102 H264/90000\r\n"
    "a=rtcp-fb:102 nack pli\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=fmtp:103 apt=102\r\n"
    "a=rtpmap:116 red/90000\r\n"
    "a=rtpmap:117 rtx/90000\r\n"
    "a=fmtp:117 apt=116\r\n"
    "a=rtpmap:118 ulpfec/90000\r\n"
    "a=ssrc-group:FID 2807470437 3182651397\r\n"
    "a=ssrc:2807470437 cname:EsAwQh3Xk1V9Vb0Q\r\n"
    "a=ssrc:2807470437 msid:" STREAM " " VTRACK "\r\n"
    "a=ssrc:3182651397 cname:EsAwQh3Xk1V9Vb0Q\r\n"
    "a=ssrc:3182651397 msid:" STREAM " " VTRACK "\r\n";

/* GStreamer webrtcbin 1.22 (max-bundle, sendonly transceivers, video added
 * first): session-level ice-options, per-m-line credentials and fingerprint,
 * uppercase OPUS from caps, msid only on a=ssrc, no RTX, no extmaps. */
static const char webrtcbin_offer[] =
    "v=0\r\n"
    "o=- 3921784923812063124 0 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=ice-options:trickle\r\n"
    "a=group:BUNDLE video0 audio1\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=setup:actpass\r\n"
    "a=ice-ufrag:N6bFB1b0Xc1pO8j3Zq0A4dS3s4T6U7v8\r\n"
    "a=ice-pwd:kG5tP0qR2sU4vW6xY8zA1bC3dE5fG7hI\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=sendonly\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=framerate:30\r\n"
    "a=ssrc:2351651210 msid:user1842513520@host-6a3e1b2c webrtctransceiver0\r\n"
    "a=ssrc:2351651210 cname:user1842513520@host-6a3e1b2c\r\n"
    "a=mid:video0\r\n"
    "a=fingerprint:sha-256 " FP_HEX "\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=setup:actpass\r\n"
    "a=ice-ufrag:N6bFB1b0Xc1pO8j3Zq0A4dS3s4T6U7v8\r\n"
    "a=ice-pwd:kG5tP0qR2sU4vW6xY8zA1bC3dE5fG7hI\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=sendonly\r\n"
    "a=rtpmap:97 OPUS/48000/2\r\n"
    "a=rtcp-fb:97 nack pli\r\n"
    "a=ssrc:1189392874 msid:user1842513520@host-6a3e1b2c webrtctransceiver1\r\n"
    "a=ssrc:1189392874 cname:user1842513520@host-6a3e1b2c\r\n"
    "a=mid:audio1\r\n"
    "a=fingerprint:sha-256 " FP_HEX "\r\n";

static const char *const our_candidates[] = {
    "candidate:1 1 UDP 2015363327 192.0.2.7 50123 typ host", NULL};

static CgSdpFingerprint our_fp = {(char *)"sha-256", (char *)OUR_FP_HEX};

static CgSdpLocal our_local(void)
{
    CgSdpLocal l = {
        .ice_ufrag = "Xk3q",
        .ice_pwd = "Zq8Lm2Vn5Rt7Wy9Bc1Df3Gh4",
        .fingerprint = &our_fp,
        .setup = CG_SDP_SETUP_NONE,
        .candidates = our_candidates,
        .end_of_candidates = TRUE,
        .session_id = 7271828182845904523ull,
        .session_version = 2,
    };
    return l;
}

static char *replace(const char *s, const char *from, const char *to)
{
    g_assert_nonnull(strstr(s, from)); /* the test edits what it means to */
    g_auto(GStrv) parts = g_strsplit(s, from, -1);
    return g_strjoinv(to, parts);
}

static CgSdp *parse_ok(const char *sdp)
{
    g_autoptr(GError) error = NULL;
    CgSdp *p = cg_sdp_parse(sdp, strlen(sdp), &error);
    g_assert_no_error(error);
    g_assert_nonnull(p);
    return p;
}

static void parse_fails(const char *sdp, CgMediaError code, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(CgSdp) p = cg_sdp_parse(sdp, strlen(sdp), &error);
    g_assert_null(p);
    g_assert_error(error, CG_MEDIA_ERROR, (gint)code);
    if (needle)
        g_assert_nonnull(strstr(error->message, needle));
}

/* The values of every a=KEY of one m-line, "|"-joined, in order. */
static char *attrs(const GstSDPMedia *m, const char *key)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < gst_sdp_media_attributes_len(m); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(m, i);
        if (g_strcmp0(a->key, key) == 0)
            g_string_append_printf(s, "%s%s", s->len ? "|" : "", a->value ? a->value : "");
    }
    return g_string_free(s, FALSE);
}

static char *formats(const GstSDPMedia *m)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < gst_sdp_media_formats_len(m); i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", gst_sdp_media_get_format(m, i));
    return g_string_free(s, FALSE);
}

static GstSDPMessage *reparse(const char *text)
{
    GstSDPMessage *msg = NULL;
    g_assert_cmpint(gst_sdp_message_new(&msg), ==, GST_SDP_OK);
    g_assert_cmpint(gst_sdp_message_parse_buffer((const guint8 *)text, (guint)strlen(text), msg),
                    ==, GST_SDP_OK);
    return msg;
}

#define assert_attrs(m, key, want)                                                                 \
    G_STMT_START                                                                                   \
    {                                                                                              \
        g_autofree char *got_ = attrs(m, key);                                                     \
        g_assert_cmpstr(got_, ==, want);                                                           \
    }                                                                                              \
    G_STMT_END

static void test_parse_chrome(void)
{
    g_autoptr(CgSdp) p = parse_ok(chrome_offer);
    g_assert_cmpuint(g_strv_length(p->bundle_mids), ==, 2);
    g_assert_cmpstr(p->bundle_mids[0], ==, "0");
    g_assert_cmpstr(p->bundle_mids[1], ==, "1");
    g_assert_false(p->ice_lite);
    g_assert_cmpstr(p->fingerprint.hash_func, ==, "sha-256");
    g_assert_cmpstr(p->fingerprint.value, ==, FP_HEX);
    g_assert_cmpuint(p->n_media, ==, 2);

    const CgSdpMedia *a = &p->media[0];
    g_assert_cmpint(a->kind, ==, CG_SDP_KIND_AUDIO);
    g_assert_cmpstr(a->proto, ==, "UDP/TLS/RTP/SAVPF");
    g_assert_cmpstr(a->mid, ==, "0");
    g_assert_cmpint(a->direction, ==, CG_SDP_SENDONLY);
    g_assert_false(a->rejected);
    g_assert_true(cg_sdp_media_usable(a));
    g_assert_true(a->codec.present);
    g_assert_cmpuint(a->codec.pt, ==, 111);
    g_assert_cmpuint(a->codec.clock_rate, ==, 48000);
    g_assert_cmpuint(a->codec.channels, ==, 2);
    g_assert_cmpstr(a->codec.fmtp, ==, "minptime=10;useinbandfec=1");
    g_assert_cmpuint(a->codec.feedback, ==, CG_SDP_FB_TRANSPORT_CC);
    g_assert_cmpint(a->codec.rtx_pt, ==, -1);
    g_assert_cmpuint(a->n_extmaps, ==, 4);
    g_assert_cmpuint(cg_sdp_media_extmap_id(a, CG_SDP_EXT_AUDIO_LEVEL), ==, 1);
    g_assert_cmpuint(cg_sdp_media_extmap_id(a, CG_SDP_EXT_MID), ==, 4);
    g_assert_cmpuint(a->extmaps[1].id, ==, 2);
    g_assert_cmpstr(a->extmaps[1].uri, ==,
                    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time");
    g_assert_cmpuint(a->n_ssrcs, ==, 1);
    g_assert_cmpuint(a->ssrcs[0].ssrc, ==, 1397530181u);
    g_assert_cmpstr(a->ssrcs[0].cname, ==, "EsAwQh3Xk1V9Vb0Q");
    g_assert_cmpstr(a->ssrcs[0].msid_stream, ==, STREAM);
    g_assert_cmpstr(a->ssrcs[0].msid_track, ==, ATRACK);
    g_assert_cmpuint(a->fid_media, ==, 0);
    g_assert_cmpstr(a->msid_stream, ==, STREAM);
    g_assert_cmpstr(a->msid_track, ==, ATRACK);
    g_assert_cmpstr(a->ice_ufrag, ==, "EsAw");
    g_assert_cmpstr(a->ice_pwd, ==, "P2uYro0UCOQ4zxjKXaWCBui1");
    g_assert_true(a->ice_trickle);
    g_assert_cmpint(a->setup, ==, CG_SDP_SETUP_ACTPASS);
    g_assert_true(a->rtcp_mux);
    g_assert_cmpuint(g_strv_length(a->candidates), ==, 2);
    g_assert_cmpstr(a->candidates[0], ==, CAND0);
    g_assert_cmpstr(a->candidates[1], ==, CAND1);
    g_assert_false(a->end_of_candidates);

    const CgSdpMedia *v = &p->media[1];
    g_assert_cmpint(v->kind, ==, CG_SDP_KIND_VIDEO);
    g_assert_cmpstr(v->mid, ==, "1");
    g_assert_cmpint(v->direction, ==, CG_SDP_SENDONLY);
    g_assert_cmpuint(v->codec.pt, ==, 96);
    g_assert_cmpuint(v->codec.clock_rate, ==, 90000);
    g_assert_cmpuint(v->codec.channels, ==, 0);
    g_assert_null(v->codec.fmtp);
    g_assert_cmpuint(v->codec.feedback, ==,
                     CG_SDP_FB_NACK | CG_SDP_FB_PLI | CG_SDP_FB_FIR | CG_SDP_FB_REMB |
                         CG_SDP_FB_TRANSPORT_CC);
    g_assert_cmpint(v->codec.rtx_pt, ==, 97); /* not 99/103/117: they repair other codecs */
    g_assert_cmpuint(v->n_extmaps, ==, 8);
    g_assert_cmpuint(cg_sdp_media_extmap_id(v, CG_SDP_EXT_MID), ==, 4);
    g_assert_cmpuint(cg_sdp_media_extmap_id(v, CG_SDP_EXT_AUDIO_LEVEL), ==, 0);
    g_assert_cmpuint(v->n_ssrcs, ==, 2);
    g_assert_cmpuint(v->ssrcs[0].ssrc, ==, 2807470437u);
    g_assert_cmpuint(v->ssrcs[1].ssrc, ==, 3182651397u);
    g_assert_cmpuint(v->fid_media, ==, 2807470437u);
    g_assert_cmpuint(v->fid_rtx, ==, 3182651397u);
    g_assert_cmpstr(v->msid_track, ==, VTRACK);
    g_assert_cmpuint(g_strv_length(v->candidates), ==, 0);
    g_assert_true(v->rtcp_mux);
}

static void test_parse_webrtcbin(void)
{
    g_autoptr(CgSdp) p = parse_ok(webrtcbin_offer);
    g_assert_cmpuint(g_strv_length(p->bundle_mids), ==, 2);
    g_assert_cmpstr(p->bundle_mids[0], ==, "video0");
    g_assert_cmpstr(p->bundle_mids[1], ==, "audio1");
    g_assert_cmpuint(p->n_media, ==, 2);

    const CgSdpMedia *v = &p->media[0];
    g_assert_cmpint(v->kind, ==, CG_SDP_KIND_VIDEO);
    g_assert_cmpstr(v->mid, ==, "video0");
    g_assert_cmpint(v->direction, ==, CG_SDP_SENDONLY);
    g_assert_cmpuint(v->codec.pt, ==, 96);
    g_assert_cmpuint(v->codec.feedback, ==, CG_SDP_FB_NACK | CG_SDP_FB_PLI | CG_SDP_FB_FIR);
    g_assert_cmpint(v->codec.rtx_pt, ==, -1);
    g_assert_cmpuint(v->n_extmaps, ==, 0);
    g_assert_cmpuint(v->n_ssrcs, ==, 1);
    g_assert_cmpuint(v->ssrcs[0].ssrc, ==, 2351651210u);
    g_assert_cmpstr(v->ssrcs[0].cname, ==, "user1842513520@host-6a3e1b2c");
    /* no a=msid: taken from the a=ssrc msid */
    g_assert_cmpstr(v->msid_stream, ==, "user1842513520@host-6a3e1b2c");
    g_assert_cmpstr(v->msid_track, ==, "webrtctransceiver0");
    g_assert_cmpstr(v->ice_ufrag, ==, "N6bFB1b0Xc1pO8j3Zq0A4dS3s4T6U7v8");
    g_assert_cmpstr(v->ice_pwd, ==, "kG5tP0qR2sU4vW6xY8zA1bC3dE5fG7hI");
    g_assert_true(v->ice_trickle); /* session level */
    g_assert_cmpint(v->setup, ==, CG_SDP_SETUP_ACTPASS);
    g_assert_true(v->rtcp_mux);
    g_assert_cmpuint(g_strv_length(v->candidates), ==, 0);

    const CgSdpMedia *a = &p->media[1];
    g_assert_cmpint(a->kind, ==, CG_SDP_KIND_AUDIO);
    g_assert_cmpstr(a->mid, ==, "audio1");
    g_assert_cmpuint(a->codec.pt, ==, 97);
    g_assert_cmpuint(a->codec.clock_rate, ==, 48000);
    g_assert_cmpuint(a->codec.channels, ==, 2);
    g_assert_null(a->codec.fmtp);
    g_assert_cmpuint(a->codec.feedback, ==, CG_SDP_FB_PLI);
    g_assert_cmpuint(a->ssrcs[0].ssrc, ==, 1189392874u);
    g_assert_cmpstr(a->msid_track, ==, "webrtctransceiver1");
}

static void test_parse_variants(void)
{
    /* credentials and setup at session level only; end-of-candidates; "*" feedback */
    g_autofree char *s1 = replace(webrtcbin_offer,
                                  "a=ice-ufrag:N6bFB1b0Xc1pO8j3Zq0A4dS3s4T6U7v8\r\n"
                                  "a=ice-pwd:kG5tP0qR2sU4vW6xY8zA1bC3dE5fG7hI\r\n",
                                  "");
    g_autofree char *s2 = replace(s1, "a=setup:actpass\r\n", "");
    g_autofree char *s3 =
        replace(s2, "t=0 0\r\n",
                "t=0 0\r\na=ice-ufrag:SeSs\r\na=ice-pwd:SessionLevelPassword0123\r\n"
                "a=setup:active\r\n");
    g_autofree char *s4 = replace(
        s3, "a=mid:audio1\r\n", "a=mid:audio1\r\na=rtcp-fb:* goog-remb\r\na=end-of-candidates\r\n");
    g_autoptr(CgSdp) p = parse_ok(s4);
    g_assert_cmpstr(p->media[0].ice_ufrag, ==, "SeSs");
    g_assert_cmpstr(p->media[1].ice_pwd, ==, "SessionLevelPassword0123");
    g_assert_cmpint(p->media[1].setup, ==, CG_SDP_SETUP_ACTIVE);
    g_assert_true(p->media[1].end_of_candidates);
    g_assert_false(p->media[0].end_of_candidates);
    g_assert_cmpuint(p->media[1].codec.feedback, ==, CG_SDP_FB_PLI | CG_SDP_FB_REMB);

    /* the RTX of VP8 is the one whose apt= names it, not the first rtx listed */
    g_autofree char *x1 = replace(chrome_offer, "a=fmtp:97 apt=96", "a=fmtp:97 apt=98");
    g_autofree char *x2 = replace(x1, "a=fmtp:99 apt=98", "a=fmtp:99 apt=96");
    g_autoptr(CgSdp) x = parse_ok(x2);
    g_assert_cmpint(x->media[1].codec.rtx_pt, ==, 99);
    /* an apt= pointing at VP8 on a payload type the m= line does not list */
    g_autofree char *y1 = replace(chrome_offer, "96 97 98 99 ", "96 98 99 ");
    g_autofree char *y2 = replace(y1, "a=fmtp:99 apt=98", "a=fmtp:99 apt=96");
    g_autoptr(CgSdp) y = parse_ok(y2);
    g_assert_cmpint(y->media[1].codec.rtx_pt, ==, 99);

    /* a rejected m-line and an application m-line */
    g_autofree char *rej = replace(chrome_offer, "m=video 9 ", "m=video 0 ");
    g_autoptr(CgSdp) r = parse_ok(rej);
    g_assert_true(r->media[1].rejected);
    g_assert_false(cg_sdp_media_usable(&r->media[1]));
    g_autofree char *app = g_strconcat(chrome_offer,
                                       "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                       "c=IN IP4 0.0.0.0\r\na=mid:2\r\na=sctp-port:5000\r\n",
                                       NULL);
    g_autoptr(CgSdp) d = parse_ok(app);
    g_assert_cmpuint(d->n_media, ==, 3);
    g_assert_cmpint(d->media[2].kind, ==, CG_SDP_KIND_OTHER);
    g_assert_false(d->media[2].rejected); /* the peer offered it; the policy will not */
    g_assert_false(cg_sdp_media_usable(&d->media[2]));
    g_assert_cmpstr(d->media[2].first_format, ==, "webrtc-datachannel");

    /* no usable m-line, or usable without ICE credentials */
    g_autofree char *h264 = replace(webrtcbin_offer, "VP8/90000", "H264/90000");
    g_autofree char *none = replace(h264, "OPUS/48000/2", "PCMU/8000");
    parse_fails(none, CG_MEDIA_ERROR_BAD_SDP, "neither Opus");
    g_autofree char *nopwd =
        replace(webrtcbin_offer, "a=ice-pwd:kG5tP0qR2sU4vW6xY8zA1bC3dE5fG7hI\r\n", "");
    parse_fails(nopwd, CG_MEDIA_ERROR_BAD_SDP, "ice-pwd");
    /* what the policy refuses is refused here */
    g_autofree char *avp = replace(chrome_offer, "UDP/TLS/RTP/SAVPF", "RTP/AVP");
    parse_fails(avp, CG_MEDIA_ERROR_DTLS_REQUIRED, NULL);
}

static void test_parse_limits(void)
{
    GString *s = g_string_new(chrome_offer);
    for (guint i = 0; i < CG_SDP_MAX_SSRCS + 1; i++)
        g_string_append_printf(s, "a=ssrc:%u cname:x\r\n", 100 + i);
    parse_fails(s->str, CG_MEDIA_ERROR_LIMIT, "SSRCs");
    g_string_assign(s, chrome_offer);
    for (guint i = 0; i < CG_SDP_MAX_EXTMAPS + 1; i++)
        g_string_append_printf(s, "a=extmap:%u urn:x:%u\r\n", 20 + i, i);
    parse_fails(s->str, CG_MEDIA_ERROR_LIMIT, "a=extmap");
    g_string_assign(s, chrome_offer);
    for (guint i = 0; i < CG_MEDIA_MAX_REMOTE_CANDIDATES; i++)
        g_string_append_printf(s, "a=candidate:%u 1 udp 2122260223 192.0.2.1 %u typ host\r\n", i,
                               1000 + i);
    parse_fails(s->str, CG_MEDIA_ERROR_LIMIT, "candidates");
    g_string_free(s, TRUE);
}

static void test_answer_chrome(void)
{
    g_autoptr(CgSdp) offer = parse_ok(chrome_offer);
    CgSdpLocal local = our_local();
    g_autoptr(GError) error = NULL;
    g_autofree char *text = cg_sdp_build_answer(offer, &local, &error);
    g_assert_no_error(error);
    g_assert_nonnull(text);
    g_autoptr(GstSDPMessage) msg = reparse(text);

    g_assert_cmpstr(gst_sdp_message_get_attribute_val(msg, "group"), ==, "BUNDLE 0 1");
    g_assert_null(gst_sdp_message_get_attribute_val(msg, "ice-lite"));
    g_assert_cmpstr(gst_sdp_message_get_origin(msg)->sess_id, ==, "7271828182845904523");
    g_assert_cmpuint(gst_sdp_message_medias_len(msg), ==, 2);
    const GstSDPMedia *a = gst_sdp_message_get_media(msg, 0);
    const GstSDPMedia *v = gst_sdp_message_get_media(msg, 1);
    for (guint i = 0; i < 2; i++) {
        const GstSDPMedia *m = gst_sdp_message_get_media(msg, i);
        g_assert_cmpuint(gst_sdp_media_get_port(m), !=, 0);
        g_assert_cmpstr(gst_sdp_media_get_proto(m), ==, "UDP/TLS/RTP/SAVPF");
        assert_attrs(m, "recvonly", "");
        g_assert_null(gst_sdp_media_get_attribute_val(m, "sendonly"));
        g_assert_null(gst_sdp_media_get_attribute_val(m, "sendrecv"));
        assert_attrs(m, "setup", "passive");
        assert_attrs(m, "fingerprint", "sha-256 " OUR_FP_HEX);
        assert_attrs(m, "ice-ufrag", "Xk3q");
        assert_attrs(m, "ice-pwd", "Zq8Lm2Vn5Rt7Wy9Bc1Df3Gh4");
        assert_attrs(m, "ice-options", "trickle");
        assert_attrs(m, "rtcp-mux", "");
        assert_attrs(m, "mid", i == 0 ? "0" : "1");
        g_assert_null(gst_sdp_media_get_attribute_val(m, "ssrc"));
    }
    g_autofree char *af = formats(a);
    g_assert_cmpstr(af, ==, "111");
    assert_attrs(a, "rtpmap", "111 opus/48000/2");
    assert_attrs(a, "fmtp", "111 minptime=10;useinbandfec=1;usedtx=1");
    assert_attrs(a, "rtcp-fb", ""); /* transport-cc is not ours */
    assert_attrs(a, "extmap",
                 "4 urn:ietf:params:rtp-hdrext:sdes:mid|1 "
                 "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
    /* candidates on the BUNDLE tag only */
    assert_attrs(a, "candidate", our_candidates[0] + strlen("candidate:"));
    assert_attrs(a, "end-of-candidates", "");
    assert_attrs(v, "candidate", "");

    g_autofree char *vf = formats(v);
    g_assert_cmpstr(vf, ==, "96 97");
    assert_attrs(v, "rtpmap", "96 VP8/90000|97 rtx/90000");
    assert_attrs(v, "fmtp", "97 apt=96");
    assert_attrs(v, "rtcp-fb", "96 nack|96 nack pli|96 ccm fir|96 goog-remb");
    assert_attrs(v, "extmap", "4 urn:ietf:params:rtp-hdrext:sdes:mid");
    g_assert_null(strstr(text, "abs-send-time"));
    g_assert_null(strstr(text, "transport-wide-cc"));
    g_assert_null(strstr(text, "VP9"));
    g_assert_null(strstr(text, "H264"));

    /* our answer is itself a description the model reads back */
    g_autoptr(CgSdp) back = parse_ok(text);
    g_assert_cmpint(back->media[0].direction, ==, CG_SDP_RECVONLY);
    g_assert_cmpint(back->media[1].codec.rtx_pt, ==, 97);
    g_assert_cmpint(back->media[0].setup, ==, CG_SDP_SETUP_PASSIVE);
}

static void test_answer_webrtcbin(void)
{
    g_autoptr(CgSdp) offer = parse_ok(webrtcbin_offer);
    CgSdpLocal local = our_local();
    local.candidates = NULL;
    local.end_of_candidates = FALSE;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = cg_sdp_build_answer(offer, &local, &error);
    g_assert_no_error(error);
    g_autoptr(GstSDPMessage) msg = reparse(text);
    g_assert_cmpstr(gst_sdp_message_get_attribute_val(msg, "group"), ==, "BUNDLE video0 audio1");
    const GstSDPMedia *v = gst_sdp_message_get_media(msg, 0);
    const GstSDPMedia *a = gst_sdp_message_get_media(msg, 1);
    g_assert_cmpstr(gst_sdp_media_get_media(v), ==, "video");
    assert_attrs(v, "mid", "video0");
    assert_attrs(a, "mid", "audio1");
    g_autofree char *vf = formats(v);
    g_assert_cmpstr(vf, ==, "96"); /* no RTX offered, none answered */
    assert_attrs(v, "rtcp-fb", "96 nack|96 nack pli|96 ccm fir");
    assert_attrs(a, "rtpmap", "97 opus/48000/2");
    assert_attrs(a, "fmtp", "97 minptime=10;useinbandfec=1;usedtx=1");
    assert_attrs(a, "rtcp-fb", "97 nack pli");
    assert_attrs(v, "extmap", "");
    assert_attrs(v, "candidate", "");
    assert_attrs(v, "end-of-candidates", "");
    assert_attrs(v, "setup", "passive");
}

/* @offer with its audio m-line sent as a max-bundle offerer sends it: port 0
 * and, when @bundle_only, a=bundle-only (what webrtcbin and Chrome do). */
static char *with_port0_audio(const char *offer, gboolean bundle_only)
{
    g_autoptr(GString) s = g_string_new(offer);
    g_string_replace(s, "m=audio 9 UDP/TLS/RTP/SAVPF 97\r\n",
                     bundle_only ? "m=audio 0 UDP/TLS/RTP/SAVPF 97\r\na=bundle-only\r\n"
                                 : "m=audio 0 UDP/TLS/RTP/SAVPF 97\r\n",
                     1);
    return g_strdup(s->str);
}

static void test_answer_bundle_only(void)
{
    g_autofree char *text = with_port0_audio(webrtcbin_offer, TRUE);
    g_assert_nonnull(strstr(text, "a=bundle-only"));
    g_autoptr(CgSdp) offer = parse_ok(text);
    g_assert_false(offer->media[1].rejected);
    g_assert_true(cg_sdp_media_usable(&offer->media[1]));
    g_assert_cmpuint(offer->media[1].codec.pt, ==, 97);
    CgSdpLocal local = our_local();
    g_autoptr(GError) error = NULL;
    g_autofree char *answer = cg_sdp_build_answer(offer, &local, &error);
    g_assert_no_error(error);
    g_autoptr(GstSDPMessage) msg = reparse(answer);
    g_assert_cmpstr(gst_sdp_message_get_attribute_val(msg, "group"), ==, "BUNDLE video0 audio1");
    const GstSDPMedia *a = gst_sdp_message_get_media(msg, 1);
    g_assert_cmpuint(gst_sdp_media_get_port(a), !=, 0); /* bundled, not rejected */
    assert_attrs(a, "rtpmap", "97 opus/48000/2");
    g_assert_nonnull(gst_sdp_media_get_attribute_val(a, "recvonly"));

    /* port 0 without a=bundle-only is a rejected m-line, and answered so */
    g_autofree char *rejected_text = with_port0_audio(webrtcbin_offer, FALSE);
    g_autoptr(CgSdp) rejected = parse_ok(rejected_text);
    g_assert_true(rejected->media[1].rejected);
    g_assert_false(cg_sdp_media_usable(&rejected->media[1]));
    g_autofree char *answer2 = cg_sdp_build_answer(rejected, &local, &error);
    g_assert_no_error(error);
    g_autoptr(GstSDPMessage) msg2 = reparse(answer2);
    g_assert_cmpuint(gst_sdp_media_get_port(gst_sdp_message_get_media(msg2, 1)), ==, 0);
}

static void test_answer_roles_and_refusals(void)
{
    CgSdpLocal local = our_local();
    g_autoptr(GError) error = NULL;
    /* actpass + we want active */
    g_autoptr(CgSdp) offer = parse_ok(chrome_offer);
    local.setup = CG_SDP_SETUP_ACTIVE;
    g_autofree char *act = cg_sdp_build_answer(offer, &local, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(act, "a=setup:active\r\n"));
    /* the offerer insists on passive: we must be active; asking passive fails */
    g_autofree char *pas = replace(chrome_offer, "a=setup:actpass", "a=setup:passive");
    g_autoptr(CgSdp) poffer = parse_ok(pas);
    local.setup = CG_SDP_SETUP_NONE;
    g_autofree char *auto_act = cg_sdp_build_answer(poffer, &local, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(auto_act, "a=setup:active\r\n"));
    local.setup = CG_SDP_SETUP_PASSIVE;
    g_assert_null(cg_sdp_build_answer(poffer, &local, &error));
    g_assert_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP);
    g_assert_nonnull(strstr(error->message, "DTLS role"));
    g_clear_error(&error);
    local.setup = CG_SDP_SETUP_NONE;

    /* video rejected by the peer: answered port 0, BUNDLE without it */
    g_autofree char *rej = replace(chrome_offer, "m=video 9 ", "m=video 0 ");
    g_autoptr(CgSdp) roffer = parse_ok(rej);
    g_autofree char *rtext = cg_sdp_build_answer(roffer, &local, &error);
    g_assert_no_error(error);
    g_autoptr(GstSDPMessage) rmsg = reparse(rtext);
    g_assert_cmpstr(gst_sdp_message_get_attribute_val(rmsg, "group"), ==, "BUNDLE 0");
    g_assert_cmpuint(gst_sdp_media_get_port(gst_sdp_message_get_media(rmsg, 1)), ==, 0);
    assert_attrs(gst_sdp_message_get_media(rmsg, 1), "mid", "1");

    /* not BUNDLEd, no rtcp-mux */
    g_autofree char *nob = replace(chrome_offer, "a=group:BUNDLE 0 1\r\n", "");
    g_autoptr(CgSdp) noffer = parse_ok(nob);
    g_assert_null(cg_sdp_build_answer(noffer, &local, &error));
    g_assert_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP);
    g_assert_nonnull(strstr(error->message, "BUNDLE"));
    g_clear_error(&error);
    g_autofree char *nomux = replace(chrome_offer, "a=rtcp-mux\r\n", "");
    g_autoptr(CgSdp) moffer = parse_ok(nomux);
    g_assert_null(cg_sdp_build_answer(moffer, &local, &error));
    g_assert_nonnull(strstr(error->message, "rtcp-mux"));
    g_clear_error(&error);
    g_autofree char *dup = replace(chrome_offer, "a=mid:1\r\n", "a=mid:0\r\n");
    g_autoptr(CgSdp) doffer = parse_ok(dup);
    g_assert_null(cg_sdp_build_answer(doffer, &local, &error));
    g_assert_nonnull(strstr(error->message, "same a=mid"));
    g_clear_error(&error);
    /* our own values must not inject lines */
    local.ice_pwd = "Zq8Lm2Vn5Rt7Wy9Bc1Df3Gh4\r\na=ice-lite";
    g_assert_null(cg_sdp_build_answer(offer, &local, &error));
    g_assert_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED);
}

static char *sub_offer_from(const char *pub_sdp, CgSdp **parsed_out)
{
    g_autoptr(CgSdp) pub = parse_ok(pub_sdp);
    CgSdpLocal local = our_local();
    local.session_version = 1;
    CgSdpRelay relay = {.stream_id = "p-91b0aa",
                        .audio_track_id = "p-91b0aa-audio",
                        .video_track_id = "p-91b0aa-video"};
    g_autoptr(GError) error = NULL;
    char *text = cg_sdp_build_sub_offer(pub, &local, &relay, &error);
    g_assert_no_error(error);
    g_assert_nonnull(text);
    if (parsed_out)
        *parsed_out = parse_ok(text);
    return text;
}

static void test_sub_offer_chrome(void)
{
    g_autofree char *text = sub_offer_from(chrome_offer, NULL);
    g_autoptr(GstSDPMessage) msg = reparse(text);
    g_assert_cmpstr(gst_sdp_message_get_attribute_val(msg, "group"), ==, "BUNDLE 0 1");
    g_assert_cmpuint(gst_sdp_message_medias_len(msg), ==, 2);
    const GstSDPMedia *a = gst_sdp_message_get_media(msg, 0);
    const GstSDPMedia *v = gst_sdp_message_get_media(msg, 1);
    g_assert_cmpstr(gst_sdp_media_get_media(a), ==, "audio");
    g_assert_cmpstr(gst_sdp_media_get_media(v), ==, "video");
    for (guint i = 0; i < 2; i++) {
        const GstSDPMedia *m = gst_sdp_message_get_media(msg, i);
        assert_attrs(m, "sendonly", "");
        assert_attrs(m, "setup", "actpass");
        assert_attrs(m, "rtcp-mux", "");
        assert_attrs(m, "ice-ufrag", "Xk3q");
        assert_attrs(m, "fingerprint", "sha-256 " OUR_FP_HEX);
        assert_attrs(m, "mid", i == 0 ? "0" : "1");
    }
    g_autofree char *af = formats(a);
    g_assert_cmpstr(af, ==, "111");
    assert_attrs(a, "fmtp", "111 minptime=10;useinbandfec=1;usedtx=1");
    assert_attrs(a, "msid", "p-91b0aa p-91b0aa-audio");
    assert_attrs(a, "ssrc",
                 "1397530181 cname:EsAwQh3Xk1V9Vb0Q|1397530181 msid:p-91b0aa p-91b0aa-audio");
    assert_attrs(a, "extmap",
                 "4 urn:ietf:params:rtp-hdrext:sdes:mid|1 "
                 "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
    g_autofree char *vf = formats(v);
    g_assert_cmpstr(vf, ==, "96 97");
    assert_attrs(v, "rtpmap", "96 VP8/90000|97 rtx/90000");
    assert_attrs(v, "fmtp", "97 apt=96");
    assert_attrs(v, "msid", "p-91b0aa p-91b0aa-video");
    assert_attrs(v, "ssrc-group", "FID 2807470437 3182651397");
    assert_attrs(v, "ssrc",
                 "2807470437 cname:EsAwQh3Xk1V9Vb0Q|2807470437 msid:p-91b0aa p-91b0aa-video|"
                 "3182651397 cname:EsAwQh3Xk1V9Vb0Q|3182651397 msid:p-91b0aa p-91b0aa-video");
    g_assert_null(strstr(text, STREAM)); /* the publisher's own ids stay private */
}

static void test_sub_offer_webrtcbin(void)
{
    /* video first in the publisher: audio still comes first in the sub offer */
    g_autofree char *text = sub_offer_from(webrtcbin_offer, NULL);
    g_autoptr(GstSDPMessage) msg = reparse(text);
    const GstSDPMedia *a = gst_sdp_message_get_media(msg, 0);
    const GstSDPMedia *v = gst_sdp_message_get_media(msg, 1);
    g_assert_cmpstr(gst_sdp_media_get_media(a), ==, "audio");
    g_autofree char *af = formats(a);
    g_assert_cmpstr(af, ==, "97");
    assert_attrs(a, "fmtp", "97 useinbandfec=1;usedtx=1");
    g_autofree char *vf = formats(v);
    g_assert_cmpstr(vf, ==, "96");
    assert_attrs(v, "ssrc-group", "");
    assert_attrs(v, "ssrc",
                 "2351651210 cname:user1842513520@host-6a3e1b2c|2351651210 msid:p-91b0aa "
                 "p-91b0aa-video");

    /* an audio-only publisher: one m-line, given mids */
    g_autofree char *h264 = replace(webrtcbin_offer, "VP8/90000", "H264/90000");
    g_autoptr(CgSdp) pub = parse_ok(h264);
    CgSdpLocal local = our_local();
    const char *const mids[] = {"a", NULL};
    CgSdpRelay relay = {.stream_id = "p-1", .audio_track_id = "t-1", .mids = mids};
    g_autoptr(GError) error = NULL;
    g_autofree char *one = cg_sdp_build_sub_offer(pub, &local, &relay, &error);
    g_assert_no_error(error);
    g_autoptr(GstSDPMessage) omsg = reparse(one);
    g_assert_cmpuint(gst_sdp_message_medias_len(omsg), ==, 1);
    g_assert_cmpstr(gst_sdp_message_get_attribute_val(omsg, "group"), ==, "BUNDLE a");
    /* bad names are refused, never written */
    relay.stream_id = "p 1";
    g_assert_null(cg_sdp_build_sub_offer(pub, &local, &relay, &error));
    g_assert_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED);
}

/* Chrome 120's answer to our sub offer: recvonly, setup:active, extmaps it
 * knows (mid with our id, audio level), no a=ssrc of its own streams. */
static const char chrome_sub_answer[] = "v=0\r\n"
                                        "o=- 8142537093612004512 2 IN IP4 127.0.0.1\r\n"
                                        "s=-\r\n"
                                        "t=0 0\r\n"
                                        "a=group:BUNDLE 0 1\r\n"
                                        "a=extmap-allow-mixed\r\n"
                                        "a=msid-semantic: WMS\r\n"
                                        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                                        "c=IN IP4 0.0.0.0\r\n"
                                        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                                        "a=ice-ufrag:hT9e\r\n"
                                        "a=ice-pwd:Jv3xLq8ZkR2mN5pW7sYb1cDe\r\n"
                                        "a=ice-options:trickle\r\n"
                                        "a=fingerprint:sha-256 " FP_HEX "\r\n"
                                        "a=setup:active\r\n"
                                        "a=mid:0\r\n"
                                        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                                        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
                                        "a=recvonly\r\n"
                                        "a=rtcp-mux\r\n"
                                        "a=rtpmap:111 opus/48000/2\r\n"
                                        "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
                                        "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                                        "c=IN IP4 0.0.0.0\r\n"
                                        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                                        "a=ice-ufrag:hT9e\r\n"
                                        "a=ice-pwd:Jv3xLq8ZkR2mN5pW7sYb1cDe\r\n"
                                        "a=ice-options:trickle\r\n"
                                        "a=fingerprint:sha-256 " FP_HEX "\r\n"
                                        "a=setup:active\r\n"
                                        "a=mid:1\r\n"
                                        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                                        "a=recvonly\r\n"
                                        "a=rtcp-mux\r\n"
                                        "a=rtcp-rsize\r\n"
                                        "a=rtpmap:96 VP8/90000\r\n"
                                        "a=rtcp-fb:96 goog-remb\r\n"
                                        "a=rtcp-fb:96 ccm fir\r\n"
                                        "a=rtcp-fb:96 nack\r\n"
                                        "a=rtcp-fb:96 nack pli\r\n"
                                        "a=rtpmap:97 rtx/90000\r\n"
                                        "a=fmtp:97 apt=96\r\n";

static void check_refused(const CgSdp *offer, const char *answer_text, const char *needle)
{
    g_autoptr(CgSdp) answer = parse_ok(answer_text);
    g_autoptr(GError) error = NULL;
    g_assert_false(cg_sdp_check_answer(offer, answer, NULL, &error));
    g_assert_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP);
    if (!strstr(error->message, needle))
        g_error("'%s' does not name '%s'", error->message, needle);
}

static void test_check_answer(void)
{
    g_autoptr(CgSdp) offer = NULL;
    g_autofree char *text = sub_offer_from(chrome_offer, &offer);
    g_autoptr(CgSdp) answer = parse_ok(chrome_sub_answer);
    CgSdpAccepted acc[CG_MEDIA_MAX_MLINES];
    g_autoptr(GError) error = NULL;
    g_assert_true(cg_sdp_check_answer(offer, answer, acc, &error));
    g_assert_no_error(error);
    g_assert_true(acc[0].active);
    g_assert_cmpuint(acc[0].pt, ==, 111);
    g_assert_cmpint(acc[0].rtx_pt, ==, -1);
    g_assert_cmpuint(acc[0].ext_mid_id, ==, 4);
    g_assert_cmpuint(acc[0].ext_audio_level_id, ==, 1);
    g_assert_cmpuint(acc[0].feedback, ==, 0);
    g_assert_true(acc[1].active);
    g_assert_cmpuint(acc[1].pt, ==, 96);
    g_assert_cmpint(acc[1].rtx_pt, ==, 97);
    g_assert_cmpuint(acc[1].ext_mid_id, ==, 4);
    g_assert_cmpuint(acc[1].ext_audio_level_id, ==, 0);
    g_assert_cmpuint(acc[1].feedback, ==,
                     CG_SDP_FB_NACK | CG_SDP_FB_PLI | CG_SDP_FB_FIR | CG_SDP_FB_REMB);

    /* an answer that takes no RTX and no audio level: reported, not refused */
    g_autofree char *nortx = replace(chrome_sub_answer, "96 97\r\n", "96\r\n");
    g_autofree char *nolevel =
        replace(nortx, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n", "");
    g_autoptr(CgSdp) a2 = parse_ok(nolevel);
    g_assert_true(cg_sdp_check_answer(offer, a2, acc, NULL));
    g_assert_cmpint(acc[1].rtx_pt, ==, -1);
    g_assert_cmpuint(acc[0].ext_audio_level_id, ==, 0);
    /* the subscriber declines video (port 0): accepted, video inactive */
    g_autofree char *novideo = replace(chrome_sub_answer, "m=video 9 ", "m=video 0 ");
    g_autoptr(CgSdp) a3 = parse_ok(novideo);
    g_assert_true(cg_sdp_check_answer(offer, a3, acc, NULL));
    g_assert_true(acc[0].active);
    g_assert_false(acc[1].active);

    /* wrong m-line count */
    const char *cut = strstr(chrome_sub_answer, "m=video");
    g_autofree char *audio_only = g_strndup(chrome_sub_answer, (gsize)(cut - chrome_sub_answer));
    check_refused(offer, audio_only, "the answer has 1 m-lines; the offer had 2");
    /* missing codec: VP8 replaced by H264 */
    g_autofree char *h264 = replace(chrome_sub_answer, "96 VP8/90000", "96 H264/90000");
    check_refused(offer, h264,
                  "answer m-line 1 (mid 1, recvonly, setup active): it does not "
                  "accept the offered VP8 payload");
    /* a VP8 payload type we did not offer */
    g_autofree char *pt100a = replace(chrome_sub_answer, "96 97\r\n", "100\r\n");
    g_autofree char *pt100 = replace(pt100a, "96 VP8/90000", "100 VP8/90000");
    check_refused(offer, pt100, "offered VP8 payload");
    /* wrong mid, direction, DTLS role, rtcp-mux */
    g_autofree char *mid = replace(chrome_sub_answer, "a=mid:1\r\n", "a=mid:video\r\n");
    check_refused(offer, mid, "a=mid differs");
    g_autofree char *dir = replace(chrome_sub_answer, "a=recvonly", "a=sendonly");
    check_refused(offer, dir, "direction");
    g_autofree char *role = replace(chrome_sub_answer, "a=setup:active", "a=setup:actpass");
    check_refused(offer, role, "DTLS role");
    g_autofree char *mux = replace(chrome_sub_answer, "a=rtcp-mux\r\n", "");
    check_refused(offer, mux, "rtcp-mux");
    /* everything declined */
    g_autofree char *none1 = replace(chrome_sub_answer, "m=video 9 ", "m=video 0 ");
    g_autofree char *none2 = replace(none1, "m=audio 9 ", "m=audio 0 ");
    g_autoptr(GError) e2 = NULL;
    g_autoptr(CgSdp) a4 = cg_sdp_parse(none2, strlen(none2), &e2);
    /* the policy already refuses an SDP with nothing usable */
    g_assert_null(a4);
    g_assert_error(e2, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP);
}

/* Parsing then building must never crash on any prefix of a real offer. */
static void test_truncations(void)
{
    gsize n = strlen(chrome_offer);
    CgSdpLocal local = our_local();
    CgSdpRelay relay = {.stream_id = "p", .audio_track_id = "a", .video_track_id = "v"};
    guint parsed = 0;
    for (gsize len = 0; len <= n; len++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(CgSdp) p = cg_sdp_parse(chrome_offer, len, &error);
        if (!p) {
            g_assert_nonnull(error);
            continue;
        }
        parsed++;
        g_autofree char *ans = cg_sdp_build_answer(p, &local, NULL);
        g_autofree char *sub = cg_sdp_build_sub_offer(p, &local, &relay, NULL);
        if (sub) {
            g_autoptr(CgSdp) back = cg_sdp_parse(sub, strlen(sub), NULL);
            g_assert_nonnull(back);
            (void)cg_sdp_check_answer(back, p, NULL, NULL);
        }
    }
    g_assert_cmpuint(parsed, >, 0);
}

static void test_garbage(void)
{
    static const char *const lines[] = {
        "a=ssrc:99999999999 cname:x",
        "a=ssrc:0 cname:x",
        "a=ssrc:12",
        "a=ssrc:12 msid:",
        "a=ssrc:12 msid",
        "a=ssrc-group:FID",
        "a=ssrc-group:FID 1",
        "a=ssrc-group:FID x y",
        "a=extmap:0 urn:x",
        "a=extmap:256 urn:x",
        "a=extmap:",
        "a=extmap:7/sendonly",
        "a=fmtp:97",
        "a=fmtp:97 apt=",
        "a=fmtp:97 apt=96;apt=98",
        "a=rtpmap:96 VP8",
        "a=rtpmap:96",
        "a=rtcp-fb:*",
        "a=candidate",
        "a=mid:",
        "a=msid:",
        "a=setup:holdconn",
        "a=group:BUNDLE",
        "a=ice-options:",
    };
    for (guint i = 0; i < G_N_ELEMENTS(lines); i++) {
        g_autofree char *line = g_strconcat("a=mid:1\r\n", lines[i], "\r\n", NULL);
        g_autofree char *s = replace(chrome_offer, "a=mid:1\r\n", line);
        g_autoptr(CgSdp) p = cg_sdp_parse(s, strlen(s), NULL);
        if (p) {
            CgSdpLocal local = our_local();
            g_autofree char *ans = cg_sdp_build_answer(p, &local, NULL);
        }
    }
    /* deterministic random bytes and random line soups */
    GRand *rand = g_rand_new_with_seed(20261202);
    for (guint round = 0; round < 300; round++) {
        gsize n = (gsize)g_rand_int_range(rand, 1, 600);
        g_autofree char *buf = g_malloc(n + 1);
        for (gsize i = 0; i < n; i++)
            buf[i] = (char)g_rand_int_range(rand, 1, 256);
        buf[n] = '\0';
        if (round % 2 == 0)
            memcpy(buf, "v=0\r\n", MIN(n, 5));
        g_autoptr(CgSdp) p = cg_sdp_parse(buf, n, NULL);
        g_assert_null(p);
    }
    for (guint round = 0; round < 300; round++) {
        /* shuffle the offer's own lines: structure mostly wrong, values real */
        g_auto(GStrv) ls = g_strsplit(chrome_offer, "\r\n", -1);
        guint n = g_strv_length(ls);
        for (guint i = 2; i + 1 < n; i++) {
            guint j = (guint)g_rand_int_range(rand, 2, (gint32)n - 1);
            char *t = ls[i];
            ls[i] = ls[j];
            ls[j] = t;
        }
        g_autofree char *s = g_strjoinv("\r\n", ls);
        g_autoptr(CgSdp) p = cg_sdp_parse(s, strlen(s), NULL);
        if (p) {
            CgSdpLocal local = our_local();
            g_autofree char *ans = cg_sdp_build_answer(p, &local, NULL);
        }
    }
    g_rand_free(rand);
    g_assert_null(cg_sdp_parse(NULL, 0, NULL));
    g_assert_null(cg_sdp_parse("", 0, NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sdp/parse/chrome", test_parse_chrome);
    g_test_add_func("/sdp/parse/webrtcbin", test_parse_webrtcbin);
    g_test_add_func("/sdp/parse/variants", test_parse_variants);
    g_test_add_func("/sdp/parse/limits", test_parse_limits);
    g_test_add_func("/sdp/answer/chrome", test_answer_chrome);
    g_test_add_func("/sdp/answer/webrtcbin", test_answer_webrtcbin);
    g_test_add_func("/sdp/answer/bundle-only", test_answer_bundle_only);
    g_test_add_func("/sdp/answer/roles-refusals", test_answer_roles_and_refusals);
    g_test_add_func("/sdp/sub-offer/chrome", test_sub_offer_chrome);
    g_test_add_func("/sdp/sub-offer/webrtcbin", test_sub_offer_webrtcbin);
    g_test_add_func("/sdp/check-answer", test_check_answer);
    g_test_add_func("/sdp/truncations", test_truncations);
    g_test_add_func("/sdp/garbage", test_garbage);
    return g_test_run();
}
