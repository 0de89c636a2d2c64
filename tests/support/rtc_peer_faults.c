/* rtc_peer_faults.c — see rtc_peer_faults.h; and the public switches and
 * counters of rtc_peer.h that drive them. */
#include "rtc_peer-private.h"

#include <gst/rtp/rtp.h>
#include <string.h>

typedef struct {
    char *pc;
    char *sdp;
} HeldAnswer;

struct _CgRtcPeerFaults {
    CgRtcPeerEvents ev;
    gpointer user;
    gboolean hold;
    GPtrArray *held;           /* HeldAnswer *, oldest first */
    GHashTable *screen_offers; /* label -> count (GUINT_TO_POINTER) */
    guint sent_offers;
};

static void held_free(gpointer p)
{
    HeldAnswer *h = p;
    g_free(h->pc);
    g_free(h->sdp);
    g_free(h);
}

CgRtcPeerFaults *cg_rtc_peer_faults_new(const CgRtcPeerEvents *events, gpointer user)
{
    CgRtcPeerFaults *f = g_new0(CgRtcPeerFaults, 1);
    f->ev = *events;
    f->user = user;
    f->held = g_ptr_array_new_with_free_func(held_free);
    f->screen_offers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return f;
}

void cg_rtc_peer_faults_free(CgRtcPeerFaults *faults)
{
    if (!faults)
        return;
    g_ptr_array_unref(faults->held);
    g_hash_table_unref(faults->screen_offers);
    g_free(faults);
}

gboolean cg_rtc_peer_faults_hold_answer(CgRtcPeerFaults *faults, const char *pc, const char *sdp)
{
    if (!faults->hold)
        return FALSE;
    HeldAnswer *h = g_new0(HeldAnswer, 1);
    h->pc = g_strdup(pc);
    h->sdp = g_strdup(sdp);
    g_ptr_array_add(faults->held, h);
    return TRUE;
}

void cg_rtc_peer_faults_set_hold(CgRtcPeerFaults *faults, gboolean hold)
{
    faults->hold = hold;
    if (hold)
        return;
    g_autoptr(GPtrArray) held = g_steal_pointer(&faults->held);
    faults->held = g_ptr_array_new_with_free_func(held_free);
    for (guint i = 0; i < held->len; i++) {
        HeldAnswer *h = g_ptr_array_index(held, i);
        if (faults->ev.description)
            faults->ev.description(faults->user, h->pc, "answer", h->sdp);
    }
}

guint cg_rtc_peer_faults_n_held(const CgRtcPeerFaults *faults)
{
    return faults->held->len;
}

void cg_rtc_peer_faults_note_offer(CgRtcPeerFaults *faults, const char *label, const char *sdp)
{
    if (!label || !sdp || !strstr(sdp, "a=content:slides"))
        return;
    guint n = GPOINTER_TO_UINT(g_hash_table_lookup(faults->screen_offers, label));
    g_hash_table_insert(faults->screen_offers, g_strdup(label), GUINT_TO_POINTER(n + 1));
}

guint cg_rtc_peer_faults_screen_offers(const CgRtcPeerFaults *faults, const char *label)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(faults->screen_offers, label));
}

void cg_rtc_peer_faults_note_sent_offer(CgRtcPeerFaults *faults)
{
    faults->sent_offers++;
}

guint cg_rtc_peer_faults_sent_offers(const CgRtcPeerFaults *faults)
{
    return faults->sent_offers;
}

/* RTPSession "on-sending-rtcp" (its RTCP thread): one more packet, a REMB
 * (RFC draft-alvestrand-rmcat-remb: "REMB", 1 SSRC, exp:6 mantissa:18). */
static gboolean add_remb(GObject *session, GstBuffer *buffer, gboolean early, gpointer data)
{
    (void)early;
    guint bps = GPOINTER_TO_UINT(data);
    guint sender = 0;
    g_object_get(session, "internal-ssrc", &sender, NULL);
    guint exp = 0;
    guint64 mantissa = bps;
    while (mantissa > 0x3ffff) {
        mantissa >>= 1;
        exp++;
    }
    GstRTCPBuffer rtcp = GST_RTCP_BUFFER_INIT;
    if (!gst_rtcp_buffer_map(buffer, GST_MAP_READWRITE, &rtcp))
        return FALSE;
    GstRTCPPacket packet;
    if (gst_rtcp_buffer_add_packet(&rtcp, GST_RTCP_TYPE_PSFB, &packet)) {
        gst_rtcp_packet_fb_set_type(&packet, GST_RTCP_PSFB_TYPE_AFB);
        gst_rtcp_packet_fb_set_sender_ssrc(&packet, sender);
        gst_rtcp_packet_fb_set_media_ssrc(&packet, 0);
        if (gst_rtcp_packet_fb_set_fci_length(&packet, 3)) {
            guint8 *fci = gst_rtcp_packet_fb_get_fci(&packet);
            memcpy(fci, "REMB", 4);
            fci[4] = 1;
            fci[5] = (guint8)(exp << 2 | (mantissa >> 16 & 3));
            fci[6] = (guint8)(mantissa >> 8);
            fci[7] = (guint8)mantissa;
            GST_WRITE_UINT32_BE(fci + 8, sender);
        }
    }
    gst_rtcp_buffer_unmap(&rtcp);
    return FALSE;
}

/* rtpbin "on-new-ssrc" (a streaming thread): the session exists now. */
static void hook_session(GstElement *rtpbin, guint session_id, guint ssrc, gpointer data)
{
    (void)ssrc;
    GObject *session = NULL;
    g_signal_emit_by_name(rtpbin, "get-internal-session", session_id, &session);
    if (!session)
        return;
    /* RTCP (and so the REMB) several times a second, not every ~5 s */
    g_object_set(session, "rtcp-min-interval", (guint64)(200 * GST_MSECOND), "bandwidth", 1000000.0,
                 NULL);
    static GMutex lock; /* streams of one session may appear on two threads */
    g_mutex_lock(&lock);
    if (!g_object_get_data(session, "cg-remb-lie")) {
        g_object_set_data(session, "cg-remb-lie", GINT_TO_POINTER(1));
        g_signal_connect(session, "on-sending-rtcp", G_CALLBACK(add_remb), data);
    }
    g_mutex_unlock(&lock);
    g_object_unref(session);
}

void cg_rtc_peer_faults_lie_remb(GstElement *webrtc, guint bps)
{
    g_autoptr(GstElement) rtpbin = gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin");
    if (!rtpbin) {
        g_warning("rtc_peer: no rtpbin in webrtcbin: no REMB will be sent");
        return;
    }
    g_signal_connect(rtpbin, "on-new-ssrc", G_CALLBACK(hook_session), GUINT_TO_POINTER(bps));
}

/* ---- rtc_peer.h ---- */

void cg_rtc_peer_hold_answers(CgRtcPeer *peer, gboolean hold)
{
    cg_rtc_peer_faults_set_hold(peer->faults, hold);
}

guint cg_rtc_peer_held_answers(CgRtcPeer *peer)
{
    return cg_rtc_peer_faults_n_held(peer->faults);
}

guint cg_rtc_peer_offers_sent(CgRtcPeer *peer)
{
    return cg_rtc_peer_faults_sent_offers(peer->faults);
}

guint cg_rtc_peer_screen_offers(CgRtcPeer *peer, const char *label)
{
    return cg_rtc_peer_faults_screen_offers(peer->faults, label);
}
