/* rtc_peer_publish.c — what rtc_peer's "pub" connection sends: its own test
 * sources and encoders, or a CgRtcSource's shared encoders; and the screen
 * share, a second video on "pub". Main context only. */
#include "rtc_peer-private.h"

#include <gst/rtp/rtp.h>

/* Is what is linked to webrtcbin's sink @pad video (its caps filter says so)? */
static gboolean pad_is_video(GstPad *pad)
{
    g_autoptr(GstCaps) caps = gst_pad_peer_query_caps(pad, NULL);
    const GstStructure *s =
        caps && !gst_caps_is_empty(caps) ? gst_caps_get_structure(caps, 0) : NULL;
    return s && g_strcmp0(gst_structure_get_string(s, "media"), "video") == 0;
}

/* The lossy uplink: each audio packet goes with probability audio_drop_p,
 * and the runs of packets that went back to back are counted. */
static GstPadProbeReturn drop_audio(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    (void)pad;
    (void)info;
    PeerShared *ps = data;
    gboolean drop = g_random_double() < ps->audio_drop_p;
    g_mutex_lock(&ps->lock);
    ps->audio_drop_run = drop ? ps->audio_drop_run + 1 : 0;
    ps->audio_drop_run_max = MAX(ps->audio_drop_run_max, ps->audio_drop_run);
    ps->audio_dropped += drop;
    g_mutex_unlock(&ps->lock);
    return drop ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

guint64 cg_rtc_peer_audio_drops(CgRtcPeer *peer, guint *longest_run, gboolean reset)
{
    PeerShared *ps = peer->ps;
    g_mutex_lock(&ps->lock);
    guint64 dropped = ps->audio_dropped;
    if (longest_run)
        *longest_run = ps->audio_drop_run_max;
    if (reset)
        ps->audio_dropped = 0, ps->audio_drop_run_max = ps->audio_drop_run;
    g_mutex_unlock(&ps->lock);
    return dropped;
}

/* Every transceiver of @webrtc sendonly; with repair_loss, video offers RTX
 * and answers NACKs. */
static void sendonly_transceivers(GstElement *webrtc, gboolean repair_loss)
{
    GstIterator *it = gst_element_iterate_sink_pads(webrtc);
    GValue v = G_VALUE_INIT;
    while (gst_iterator_next(it, &v) == GST_ITERATOR_OK) {
        GObject *trans = NULL;
        GstPad *sinkpad = g_value_get_object(&v);
        g_object_get(sinkpad, "transceiver", &trans, NULL);
        if (trans)
            g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
        if (trans && repair_loss && pad_is_video(sinkpad))
            g_object_set(trans, "do-nack", TRUE, NULL);
        g_clear_object(&trans);
        g_value_reset(&v);
    }
    g_value_unset(&v);
    gst_iterator_free(it);
}

GstElement *cg_rtc_peer_build_publisher(CgRtcPeer *peer, GstElement **webrtc)
{
    g_autofree char *video = NULL;
    const CgRtcPeerOptions *o = &peer->opt;
    if (!o->no_video)
        video = g_strdup_printf(
            "videotestsrc is-live=true pattern=solid-color foreground-color=0x%08x ! "
            "video/x-raw,width=%u,height=%u,framerate=%u/1 ! videoconvert ! queue ! "
            "vp8enc name=venc deadline=1 keyframe-max-dist=%u target-bitrate=150000 ! "
            "rtpvp8pay ! application/x-rtp,media=video,encoding-name=VP8,payload=96 ! w. ",
            0xff000000u | (o->color_rgb & 0xffffffu), o->width ? o->width : 320,
            o->height ? o->height : 240, o->fps ? o->fps : 15,
            o->keyframe_max_dist ? o->keyframe_max_dist : 30);
    /* FEC: libopus adds it only when told to expect loss, and only in its
     * SILK and hybrid modes: a lossy sender codes speech at 32 kbps, as
     * browsers do (at the default 64 kbps a sine goes out as CELT, without). */
    guint loss = MIN(o->send_audio_loss_pct, 100u);
    g_autofree char *fec = loss ? g_strdup_printf("audio-type=voice bitrate=32000 inband-fec=true "
                                                  "packet-loss-percentage=%u",
                                                  MAX(loss, 10u))
                           : o->repair_loss ? g_strdup("inband-fec=true packet-loss-percentage=10")
                                            : g_strdup("");
    const char *drop = loss ? "identity name=adrop ! " : "";
    char volume[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_dtostr(volume, sizeof volume, o->tone_volume > 0 ? o->tone_volume : 0.8);
    /* 10 ms source buffers: a tone switched on (cg_rtc_peer_set_tone) starts
     * within 10 ms */
    g_autofree char *desc = g_strdup_printf(
        "webrtcbin name=w %s audiotestsrc is-live=true wave=sine freq=%u volume=%s "
        "samplesperbuffer=480 ! audio/x-raw,rate=48000 ! volume name=tone mute=%d ! audioconvert ! "
        "audioresample ! level audio-level-meta=true ! queue ! opusenc %s ! rtpopuspay name=apay ! "
        "application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! %s w.",
        video ? video : "", o->tone_hz, volume, o->tone_off, fec, drop);
    g_autoptr(GError) err = NULL;
    GstElement *bin = gst_parse_bin_from_description(desc, FALSE, &err);
    if (!bin) {
        g_message("rtc_peer: cannot build the publisher: %s", err->message);
        return NULL;
    }
    gst_object_set_name(GST_OBJECT(bin), "pub-bin");
    /* RFC 6464 audio levels in every audio packet, as browsers send them */
    g_autoptr(GstElement) apay = gst_bin_get_by_name(GST_BIN(bin), "apay");
    GstRTPHeaderExtension *level =
        gst_rtp_header_extension_create_from_uri("urn:ietf:params:rtp-hdrext:ssrc-audio-level");
    if (apay && level) {
        gst_rtp_header_extension_set_id(level, 1);
        g_signal_emit_by_name(apay, "add-extension", level);
    }
    g_clear_object(&level);
    g_autoptr(GstElement) adrop = gst_bin_get_by_name(GST_BIN(bin), "adrop");
    if (adrop) {
        peer->ps->audio_drop_p = loss / 100.0;
        g_autoptr(GstPad) dsrc = gst_element_get_static_pad(adrop, "src");
        gst_pad_add_probe(dsrc, GST_PAD_PROBE_TYPE_BUFFER, drop_audio, cg_rtc_peer_ps_ref(peer->ps),
                          (GDestroyNotify)cg_rtc_peer_ps_unref);
    }
    g_autoptr(GstElement) venc = gst_bin_get_by_name(GST_BIN(bin), "venc");
    if (venc) {
        g_autoptr(GstPad) vsrc = gst_element_get_static_pad(venc, "src");
        gst_pad_add_probe(vsrc, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, cg_rtc_peer_count_key_requests,
                          cg_rtc_peer_ps_ref(peer->ps), (GDestroyNotify)cg_rtc_peer_ps_unref);
    }
    *webrtc = gst_bin_get_by_name(GST_BIN(bin), "w");
    gst_object_unref(*webrtc); /* the bin keeps it */
    sendonly_transceivers(*webrtc, o->repair_loss);
    return bin;
}

/* A leaky queue from @tee into a new sink pad of @webrtc (both in the
 * pipeline, @webrtc in peer->bin): a branch whose DTLS is not up yet drops
 * instead of blocking the tee, and so every other endpoint. */
static gboolean link_branch(CgRtcPeer *peer, GstElement *tee, GstElement *webrtc)
{
    GstElement *q = gst_element_factory_make("queue", NULL);
    g_object_set(q, "leaky", 2, "max-size-buffers", 64, "max-size-bytes", 0, "max-size-time",
                 (guint64)0, NULL);
    gst_bin_add(GST_BIN(peer->bin), q);
    GstPad *teepad = gst_element_request_pad_simple(tee, "src_%u");
    g_autoptr(GstPad) qsink = gst_element_get_static_pad(q, "sink");
    g_autoptr(GstPad) qsrc = gst_element_get_static_pad(q, "src");
    g_autoptr(GstPad) wsink = gst_element_request_pad_simple(webrtc, "sink_%u");
    if (!teepad)
        return FALSE;
    g_ptr_array_add(peer->tee_pads, teepad);
    if (!wsink || gst_pad_link(qsrc, wsink) != GST_PAD_LINK_OK)
        return FALSE;
    gst_element_sync_state_with_parent(q); /* before the tee can push into it */
    /* the tee is outside peer->bin: a ghost pad on the bin carries the link */
    if (!gst_pad_link_maybe_ghosting(teepad, qsink))
        return FALSE;
    GObject *trans = NULL;
    g_object_get(wsink, "transceiver", &trans, NULL);
    if (trans) {
        /* The offer from the encoder's actual caps (codec, channels, ssrc), not
         * from whatever a caps query upstream answers before data flowed. */
        g_autoptr(GstPad) teesink = gst_element_get_static_pad(tee, "sink");
        g_autoptr(GstCaps) caps = gst_pad_get_current_caps(teesink);
        if (caps) {
            caps = gst_caps_make_writable(caps);
            gst_structure_remove_fields(gst_caps_get_structure(caps, 0), "timestamp-offset",
                                        "seqnum-offset", NULL);
            g_object_set(trans, "codec-preferences", caps, NULL);
        }
        g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
    }
    g_clear_object(&trans);
    return TRUE;
}

void cg_rtc_peer_publish_from_source(CgRtcPeer *peer, GstElement *webrtc)
{
    gst_bin_add(GST_BIN(peer->bin), webrtc);
    /* PLAYING before any buffer can reach it: a branch that answers FLUSHING
     * would stop the shared encoders (and every endpoint) for good. */
    gst_element_sync_state_with_parent(webrtc);
    CgRtcSource *src = peer->opt.source;
    if (!link_branch(peer, cg_rtc_source_tee(src, FALSE), webrtc) ||
        !link_branch(peer, cg_rtc_source_tee(src, TRUE), webrtc))
        g_warning("rtc_peer: cannot link the publisher to its source");
}

void cg_rtc_peer_detach_source(CgRtcPeer *peer)
{
    for (guint i = 0; i < peer->tee_pads->len; i++) {
        GstPad *pad = g_ptr_array_index(peer->tee_pads, i);
        g_autoptr(GstElement) tee = gst_pad_get_parent_element(pad);
        if (tee)
            gst_element_release_request_pad(tee, pad);
    }
    g_ptr_array_set_size(peer->tee_pads, 0);
}

void cg_rtc_peer_publish(CgRtcPeer *peer)
{
    cg_rtc_peer_trace(peer->ps, "pub", "publish");
    GstElement *webrtc = NULL, *bin = NULL;
    if (peer->opt.source) {
        webrtc = gst_element_factory_make("webrtcbin", "pub-webrtc");
    } else {
        bin = cg_rtc_peer_build_publisher(peer, &webrtc);
        if (!bin)
            return;
    }
    g_autoptr(GstElement) rtpbin = gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin");
    if (rtpbin)
        g_signal_connect_data(rtpbin, "on-new-sender-ssrc", G_CALLBACK(cg_rtc_peer_watch_feedback),
                              cg_rtc_peer_ps_ref(peer->ps), cg_rtc_peer_ps_closure_unref, 0);
    else
        g_warning("rtc_peer: no rtpbin in webrtcbin: REMB will not be counted");
    /* its signals connected before it can emit them */
    cg_rtc_peer_pc_add(peer, "pub", NULL, webrtc);
    if (peer->opt.source) {
        cg_rtc_peer_publish_from_source(peer, webrtc);
    } else {
        gst_bin_add(GST_BIN(peer->bin), bin);
        gst_element_sync_state_with_parent(bin);
    }
}

void cg_rtc_peer_set_tone(CgRtcPeer *peer, gboolean on)
{
    g_autoptr(GstElement) tone = gst_bin_get_by_name(GST_BIN(peer->bin), "tone");
    if (tone)
        g_object_set(tone, "mute", !on, NULL);
}

/* ---- screen share --------------------------------------------------------- */

/* The screen share: a second VP8 stream (payload type 98, the colour given)
 * on a new sendonly transceiver of "pub", then a new offer. */
void cg_rtc_peer_start_screen(CgRtcPeer *peer, guint32 color_rgb)
{
    PeerPc *pc = g_hash_table_lookup(peer->pcs, "pub");
    g_autoptr(GstElement) pubbin = gst_bin_get_by_name(GST_BIN(peer->bin), "pub-bin");
    if (!pc || !pubbin || peer->frozen)
        return;
    /* its SSRC goes into the offer (a=ssrc): webrtcbin 1.22 receivers put a
     * BUNDLEd stream whose SSRC nobody signalled on the wrong transceiver */
    guint32 ssrc = g_random_int();
    g_autofree char *desc = g_strdup_printf(
        "videotestsrc is-live=true pattern=solid-color foreground-color=0x%08x ! "
        "video/x-raw,width=320,height=240,framerate=10/1 ! videoconvert ! queue ! "
        "vp8enc deadline=1 keyframe-max-dist=30 target-bitrate=100000 ! rtpvp8pay pt=98 ssrc=%u",
        0xff000000u | (color_rgb & 0xffffffu), ssrc);
    g_autoptr(GError) err = NULL;
    GstElement *bin = gst_parse_bin_from_description(desc, TRUE, &err);
    if (!bin) {
        g_message("rtc_peer: cannot build the screen share: %s", err->message);
        return;
    }
    gst_object_set_name(GST_OBJECT(bin), "screen-bin");
    gst_bin_add(GST_BIN(pubbin), bin);
    GstPad *sink = gst_element_request_pad_simple(pc->webrtc, "sink_%u");
    g_autoptr(GstPad) src = gst_element_get_static_pad(bin, "src");
    gst_pad_link(src, sink);
    GObject *trans = NULL;
    g_object_get(sink, "transceiver", &trans, NULL);
    /* codec preferences: the offer is made before the first buffer sets caps */
    g_autofree char *caps_text = g_strdup_printf(
        "application/x-rtp,media=video,encoding-name=VP8,payload=98,clock-rate=90000,ssrc=(uint)%u",
        ssrc);
    g_autoptr(GstCaps) caps = gst_caps_from_string(caps_text);
    if (trans)
        g_object_set(trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                     "codec-preferences", caps, NULL);
    g_clear_object(&trans);
    gst_object_unref(sink);
    gst_element_sync_state_with_parent(bin);
    cg_rtc_peer_create_local(pc, "create-offer");
}

/* Stops the screen share: its transceiver becomes inactive, then a new offer. */
void cg_rtc_peer_stop_screen(CgRtcPeer *peer)
{
    PeerPc *pc = g_hash_table_lookup(peer->pcs, "pub");
    if (!pc || peer->frozen)
        return;
    GArray *transceivers = NULL;
    g_signal_emit_by_name(pc->webrtc, "get-transceivers", &transceivers);
    for (guint i = 0; transceivers && i < transceivers->len; i++) {
        GstWebRTCRTPTransceiver *t = g_array_index(transceivers, GstWebRTCRTPTransceiver *, i);
        guint mline = 0;
        g_object_get(t, "mlineindex", &mline, NULL);
        if (mline == 2)
            g_object_set(t, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, NULL);
    }
    if (transceivers)
        g_array_unref(transceivers);
    cg_rtc_peer_create_local(pc, "create-offer");
}
