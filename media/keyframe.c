/* keyframe.c — key frame requests towards a publisher, coalesced and
 * repeated until a key frame arrives (see CgKeyframeState in
 * media-private.h).
 *
 * A request is an upstream GstForceKeyUnit event on the publisher's video
 * tee; webrtcbin's RTP session turns it into RTCP PLI/FIR towards the
 * publisher. Sources of requests: a subscriber's gate opening (a new
 * receiver), and every PLI/FIR a receiver sends on its subscribe connection
 * (its RTP session forwards it upstream through the branch queue and tee).
 * Streaming threads only; nothing here touches main-context objects.
 */
#define GST_USE_UNSTABLE_API
#include "media-limits.h"
#include "media-private.h"

#include <gst/rtp/rtp.h>
#include <gst/video/video.h>

#define GST_CAT_DEFAULT cg_media_debug
#define RETRY_US ((gint64)CG_MEDIA_KEYFRAME_RETRY_MS * 1000)
#define OUR_MARK "cg-repeat"

void cg_keyframe_init(CgKeyframeState *kf)
{
    g_mutex_init(&kf->lock);
}

void cg_keyframe_clear(CgKeyframeState *kf)
{
    g_mutex_clear(&kf->lock);
}

static GstEvent *key_unit_event(gboolean ours)
{
    GstEvent *ev = gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0);
    if (ours)
        gst_structure_set(gst_event_writable_structure(ev), OUR_MARK, G_TYPE_BOOLEAN, TRUE,
                          NULL);
    return ev;
}

void cg_keyframe_ask(GstPad *pad)
{
    gst_pad_push_event(pad, key_unit_event(FALSE));
}

/* TRUE when a request may go out now (and records it). */
static gboolean may_send(CgKeyframeState *kf, gint64 now)
{
    gboolean send = FALSE;
    g_mutex_lock(&kf->lock);
    if (kf->asked_at == 0 || now - kf->asked_at >= RETRY_US) {
        kf->asked_at = now;
        send = TRUE;
    }
    g_mutex_unlock(&kf->lock);
    if (send)
        g_atomic_int_inc(&kf->requests);
    return send;
}

GstPadProbeReturn cg_keyframe_upstream_probe(GstPad *pad, GstPadProbeInfo *info, gpointer p)
{
    (void)pad;
    CgConnShared *sh = p;
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (!gst_video_event_is_force_key_unit(ev))
        return GST_PAD_PROBE_OK;
    gboolean ours = FALSE;
    const GstStructure *s = gst_event_get_structure(ev);
    if (s && gst_structure_get_boolean(s, OUR_MARK, &ours) && ours)
        return GST_PAD_PROBE_OK; /* a repeat, already counted */
    g_atomic_int_set(&sh->kf.pending, 1);
    if (!may_send(&sh->kf, g_get_monotonic_time())) {
        GST_LOG("%s key frame request coalesced", sh->tag);
        return GST_PAD_PROBE_DROP;
    }
    GST_DEBUG("%s asking the publisher for a key frame", sh->tag);
    return GST_PAD_PROBE_OK;
}

gboolean cg_vp8_payload_is_keyframe(const guint8 *p, gsize len)
{
    /* payload descriptor: X R N S R PID(3) */
    if (len < 1 || !(p[0] & 0x10) || (p[0] & 0x07) != 0)
        return FALSE; /* not the start of partition 0 */
    gsize off = 1;
    if (p[0] & 0x80) { /* X: I L T K RSV */
        if (len < 2)
            return FALSE;
        guint8 x = p[1];
        off = 2;
        if (x & 0x80) /* I: picture id, 7 or 15 bits (M) */
            off += (len > off && (p[off] & 0x80)) ? 2 : 1;
        if (x & 0x40) /* L: TL0PICIDX */
            off++;
        if (x & 0x30) /* T or K: TID/Y/KEYIDX */
            off++;
    }
    /* VP8 payload header, first byte: size0(3) H VER(3) P; P == 0: key frame */
    return len > off && (p[off] & 0x01) == 0;
}

static gboolean buffer_is_keyframe(GstBuffer *buf)
{
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp))
        return FALSE;
    gboolean key = cg_vp8_payload_is_keyframe(gst_rtp_buffer_get_payload(&rtp),
                                              gst_rtp_buffer_get_payload_len(&rtp));
    gst_rtp_buffer_unmap(&rtp);
    return key;
}

void cg_keyframe_on_buffer(CgConnShared *sh, GstPad *pad, GstBuffer *buf)
{
    CgKeyframeState *kf = &sh->kf;
    if (!g_atomic_int_get(&kf->pending))
        return;
    if (buffer_is_keyframe(buf)) {
        g_atomic_int_set(&kf->pending, 0);
        g_atomic_int_inc(&kf->keyframes);
        GST_DEBUG("%s key frame arrived", sh->tag);
        return;
    }
    if (may_send(kf, g_get_monotonic_time())) {
        GST_DEBUG("%s no key frame yet: asking again", sh->tag);
        gst_pad_push_event(pad, key_unit_event(TRUE));
    }
}
