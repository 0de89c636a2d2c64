/* sdp_write.c — see sdp.h: consultd's answers and subscribe offers, written
 * from the model, and the check of an endpoint's answer to our offer. */
#include "sdp.h"

#include "ice_agent.h"
#include "media.h"

#include <gst/sdp/sdp.h>
#include <stdarg.h>
#include <string.h>

static const char *setup_name(CgSdpSetup s)
{
    static const char *const names[] = {"none", "actpass", "active", "passive"};
    return names[s];
}

static const char *direction_name(CgSdpDirection d)
{
    static const char *const names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    return names[d];
}

static gboolean sends(CgSdpDirection d)
{
    return d == CG_SDP_SENDRECV || d == CG_SDP_SENDONLY;
}

static gboolean receives(CgSdpDirection d)
{
    return d == CG_SDP_SENDRECV || d == CG_SDP_RECVONLY;
}

/* ---- writing ---------------------------------------------------------- */

/* Printable, no space: safe to put in an attribute value we write. */
static gboolean is_token(const char *s, gsize max)
{
    if (!s || !*s || strlen(s) > max)
        return FALSE;
    for (; *s; s++)
        if (!g_ascii_isgraph(*s))
            return FALSE;
    return TRUE;
}

static gboolean local_valid(const CgSdpLocal *local, GError **error)
{
    gboolean ok = local && is_token(local->ice_ufrag, CG_ICE_MAX_CREDENTIAL_LEN) &&
                  is_token(local->ice_pwd, CG_ICE_MAX_CREDENTIAL_LEN) && local->fingerprint &&
                  is_token(local->fingerprint->hash_func, 16) &&
                  is_token(local->fingerprint->value, CG_MEDIA_MAX_FINGERPRINT_BYTES);
    for (guint i = 0; ok && local->candidates && local->candidates[i]; i++) {
        const char *c = local->candidates[i];
        ok = g_str_has_prefix(c, "candidate:") && strlen(c) <= CG_MEDIA_MAX_CANDIDATE_BYTES &&
             !strpbrk(c, "\r\n");
    }
    if (!ok)
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED,
                    "our ICE credentials, fingerprint or candidates are malformed");
    return ok;
}

static GstSDPMessage *new_message(const CgSdpLocal *local)
{
    GstSDPMessage *msg = NULL;
    gst_sdp_message_new(&msg);
    g_autofree char *id = g_strdup_printf("%" G_GUINT64_FORMAT, local->session_id);
    g_autofree char *version = g_strdup_printf("%u", local->session_version);
    gst_sdp_message_set_version(msg, "0");
    gst_sdp_message_set_origin(msg, "-", id, version, "IN", "IP4", "127.0.0.1");
    gst_sdp_message_set_session_name(msg, "-");
    gst_sdp_message_add_time(msg, "0", "0", NULL);
    return msg;
}

/* "m=KIND 9 PROTO" with c=, the transport attributes (BUNDLE: the same on
 * every m-line), and our candidates on the first one. */
static void begin_media(GstSDPMedia *m, const char *kind, const char *proto, const char *mid,
                        const CgSdpLocal *local, CgSdpSetup setup, gboolean first)
{
    memset(m, 0, sizeof *m); /* gst_sdp_media_init() frees what it finds */
    gst_sdp_media_init(m);
    gst_sdp_media_set_media(m, kind);
    gst_sdp_media_set_port_info(m, 9, 0); /* the discard port: candidates carry addresses */
    gst_sdp_media_set_proto(m, proto);
    gst_sdp_media_add_connection(m, "IN", "IP4", "0.0.0.0", 0, 0);
    if (mid)
        gst_sdp_media_add_attribute(m, "mid", mid);
    gst_sdp_media_add_attribute(m, "ice-ufrag", local->ice_ufrag);
    gst_sdp_media_add_attribute(m, "ice-pwd", local->ice_pwd);
    gst_sdp_media_add_attribute(m, "ice-options", "trickle");
    g_autofree char *fp =
        g_strdup_printf("%s %s", local->fingerprint->hash_func, local->fingerprint->value);
    gst_sdp_media_add_attribute(m, "fingerprint", fp);
    gst_sdp_media_add_attribute(m, "setup", setup_name(setup));
    gst_sdp_media_add_attribute(m, "rtcp-mux", NULL);
    for (guint i = 0; first && local->candidates && local->candidates[i]; i++)
        gst_sdp_media_add_attribute(m, "candidate", local->candidates[i] + strlen("candidate:"));
    if (first && local->end_of_candidates)
        gst_sdp_media_add_attribute(m, "end-of-candidates", NULL);
}

static void add_attr_printf(GstSDPMedia *m, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static void add_attr_printf(GstSDPMedia *m, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *v = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    gst_sdp_media_add_attribute(m, key, v);
}

/* The extensions consultd uses (mid; audio level on audio), with @src's ids. */
static void add_extmaps(GstSDPMedia *m, const CgSdpMedia *src)
{
    guint mid = cg_sdp_media_extmap_id(src, CG_SDP_EXT_MID);
    guint level =
        src->kind == CG_SDP_KIND_AUDIO ? cg_sdp_media_extmap_id(src, CG_SDP_EXT_AUDIO_LEVEL) : 0;
    if (mid)
        add_attr_printf(m, "extmap", "%u %s", mid, CG_SDP_EXT_MID);
    if (level)
        add_attr_printf(m, "extmap", "%u %s", level, CG_SDP_EXT_AUDIO_LEVEL);
}

/* The codec of @src: formats, rtpmap, the feedback both support, fmtp, RTX.
 * Opus gets its resilience parameters later, from cg_sdp_enable_opus_resilience. */
static void add_codec(GstSDPMedia *m, const CgSdpMedia *src, const char *fmtp)
{
    const CgSdpCodec *c = &src->codec;
    gboolean audio = src->kind == CG_SDP_KIND_AUDIO;
    if (c->channels)
        add_attr_printf(m, "rtpmap", "%u %s/%u/%u", c->pt, audio ? "opus" : "VP8", c->clock_rate,
                        c->channels);
    else
        add_attr_printf(m, "rtpmap", "%u %s/%u", c->pt, audio ? "opus" : "VP8", c->clock_rate);
    guint fb = c->feedback & CG_SDP_FB_SUPPORTED;
    static const char *const fb_names[] = {"nack", "nack pli", "ccm fir", "goog-remb"};
    for (guint i = 0; i < G_N_ELEMENTS(fb_names); i++)
        if (fb & (1u << i))
            add_attr_printf(m, "rtcp-fb", "%u %s", c->pt, fb_names[i]);
    if (fmtp && *fmtp)
        add_attr_printf(m, "fmtp", "%u %s", c->pt, fmtp);
    g_autofree char *pt = g_strdup_printf("%u", c->pt);
    gst_sdp_media_add_format(m, pt);
    if (audio || c->rtx_pt < 0)
        return;
    g_autofree char *rtx = g_strdup_printf("%d", c->rtx_pt);
    gst_sdp_media_add_format(m, rtx);
    add_attr_printf(m, "rtpmap", "%d rtx/%u", c->rtx_pt, c->clock_rate);
    add_attr_printf(m, "fmtp", "%d apt=%u", c->rtx_pt, c->pt);
}

static void add_rejected(GstSDPMessage *msg, const CgSdpMedia *src)
{
    GstSDPMedia m = {0};
    gst_sdp_media_init(&m);
    gst_sdp_media_set_media(&m, src->media_type ? src->media_type : "application");
    gst_sdp_media_set_port_info(&m, 0, 0);
    gst_sdp_media_set_proto(&m, src->proto ? src->proto : "UDP/TLS/RTP/SAVPF");
    gst_sdp_media_add_format(&m, src->first_format ? src->first_format : "0");
    gst_sdp_media_add_connection(&m, "IN", "IP4", "0.0.0.0", 0, 0);
    if (src->mid)
        gst_sdp_media_add_attribute(&m, "mid", src->mid);
    gst_sdp_message_add_media(msg, &m); /* takes the contents */
}

static void add_group(GstSDPMessage *msg, GPtrArray *mids)
{
    if (mids->len == 0)
        return;
    g_ptr_array_add(mids, NULL);
    g_autofree char *list = g_strjoinv(" ", (GStrv)mids->pdata);
    g_ptr_array_remove_index(mids, mids->len - 1);
    g_autofree char *v = g_strconcat("BUNDLE ", list, NULL);
    gst_sdp_message_add_attribute(msg, "group", v);
}

static char *finish(GstSDPMessage *msg, gboolean resilience)
{
    if (resilience)
        cg_sdp_enable_opus_resilience(msg);
    char *text = gst_sdp_message_as_text(msg);
    gst_sdp_message_free(msg);
    return text;
}

/* Our DTLS role in an answer; RFC 4145 reads a missing a=setup as active. */
static gboolean answer_setup(CgSdpSetup offered, CgSdpSetup wanted, CgSdpSetup *out, GError **error)
{
    gboolean offer_client = offered != CG_SDP_SETUP_PASSIVE && offered != CG_SDP_SETUP_ACTPASS;
    gboolean offer_server = offered == CG_SDP_SETUP_PASSIVE;
    if (wanted == CG_SDP_SETUP_NONE)
        wanted = offer_server ? CG_SDP_SETUP_ACTIVE : CG_SDP_SETUP_PASSIVE;
    if (wanted == CG_SDP_SETUP_ACTPASS || (wanted == CG_SDP_SETUP_ACTIVE && offer_client) ||
        (wanted == CG_SDP_SETUP_PASSIVE && offer_server)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the offer's a=setup:%s leaves no DTLS role for a=setup:%s",
                    setup_name(offered), setup_name(wanted));
        return FALSE;
    }
    *out = wanted;
    return TRUE;
}

/* The usable m-lines must share one BUNDLE transport with rtcp-mux. */
static gboolean offer_transport_ok(const CgSdp *offer, guint *first, GError **error)
{
    guint usable = 0;
    for (guint i = 0; i < offer->n_media; i++) {
        const CgSdpMedia *m = &offer->media[i];
        if (!cg_sdp_media_usable(m))
            continue;
        if (usable++ == 0)
            *first = i;
        if (!m->rtcp_mux) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                        "m-line %u lacks a=rtcp-mux, which consultd requires", i);
            return FALSE;
        }
        for (guint j = 0; j < i; j++)
            if (m->mid && g_strcmp0(offer->media[j].mid, m->mid) == 0) {
                g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                            "m-lines %u and %u have the same a=mid", j, i);
                return FALSE;
            }
    }
    for (guint i = 0; i < offer->n_media && usable > 1; i++) {
        const CgSdpMedia *m = &offer->media[i];
        if (cg_sdp_media_usable(m) &&
            (!m->mid || !g_strv_contains((const char *const *)offer->bundle_mids, m->mid))) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                        "m-line %u is not in the BUNDLE group; consultd needs max-bundle", i);
            return FALSE;
        }
    }
    if (usable == 0)
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the offer has no usable Opus or VP8 m-line");
    return usable > 0;
}

char *cg_sdp_build_answer(const CgSdp *offer, const CgSdpLocal *local, GError **error)
{
    g_return_val_if_fail(offer != NULL, NULL);
    guint first = 0;
    CgSdpSetup setup;
    if (!local_valid(local, error) || !offer_transport_ok(offer, &first, error) ||
        !answer_setup(offer->media[first].setup, local->setup, &setup, error))
        return NULL;
    GstSDPMessage *msg = new_message(local);
    g_autoptr(GPtrArray) bundle = g_ptr_array_new();
    for (guint i = 0; i < offer->n_media; i++) {
        const CgSdpMedia *o = &offer->media[i];
        if (cg_sdp_media_usable(o) && o->mid &&
            g_strv_contains((const char *const *)offer->bundle_mids, o->mid))
            g_ptr_array_add(bundle, o->mid);
    }
    add_group(msg, bundle);
    for (guint i = 0; i < offer->n_media; i++) {
        const CgSdpMedia *o = &offer->media[i];
        if (!cg_sdp_media_usable(o)) {
            add_rejected(msg, o);
            continue;
        }
        gboolean audio = o->kind == CG_SDP_KIND_AUDIO;
        GstSDPMedia m;
        begin_media(&m, audio ? "audio" : "video", o->proto, o->mid, local, setup, i == first);
        gst_sdp_media_add_attribute(&m, sends(o->direction) ? "recvonly" : "inactive", NULL);
        add_extmaps(&m, o);
        /* our receive preferences: the offer's Opus parameters are the offerer's */
        add_codec(&m, o, audio ? "minptime=10" : NULL);
        gst_sdp_message_add_media(msg, &m);
    }
    return finish(msg, TRUE);
}

const CgSdpMedia *cg_sdp_sending(const CgSdp *sdp, CgSdpKind kind, guint nth)
{
    for (guint i = 0; i < sdp->n_media; i++) {
        const CgSdpMedia *m = &sdp->media[i];
        if (m->kind == kind && cg_sdp_media_usable(m) && sends(m->direction) && nth-- == 0)
            return m;
    }
    return NULL;
}

static void add_ssrcs(GstSDPMedia *m, const CgSdpMedia *src, const CgSdpRelay *relay,
                      const char *track)
{
    add_attr_printf(m, "msid", "%s %s", relay->stream_id, track);
    gboolean rtx = src->codec.rtx_pt >= 0 && src->fid_media && src->fid_rtx;
    if (rtx)
        add_attr_printf(m, "ssrc-group", "FID %u %u", src->fid_media, src->fid_rtx);
    const char *cname = relay->cname;
    for (guint i = 0; !cname && i < src->n_ssrcs; i++)
        cname = src->ssrcs[i].cname;
    for (guint i = 0; i < src->n_ssrcs; i++) {
        guint32 s = src->ssrcs[i].ssrc;
        if (!rtx && s == src->fid_rtx)
            continue; /* a retransmission stream nobody can decode */
        if (cname)
            add_attr_printf(m, "ssrc", "%u cname:%s", s, cname);
        add_attr_printf(m, "ssrc", "%u msid:%s %s", s, relay->stream_id, track);
    }
}

static gboolean relay_valid(const CgSdpRelay *relay, const CgSdpMedia *const src[2],
                            gboolean screen_line, GError **error)
{
    gboolean ok = relay && is_token(relay->stream_id, 64) &&
                  (!src[0] || is_token(relay->audio_track_id, 64)) &&
                  (!src[1] || is_token(relay->video_track_id, 64)) &&
                  (!screen_line || is_token(relay->screen_track_id, 64)) &&
                  (!relay->cname || is_token(relay->cname, 255));
    guint needed = (src[0] ? 1 : 0) + (src[1] ? 1 : 0) + (screen_line ? 1 : 0);
    for (guint i = 0; ok && relay->mids && i < needed; i++)
        ok = is_token(relay->mids[i], 32);
    if (!ok)
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED,
                    "the relay's stream, track, cname or mid names are missing or not tokens");
    return ok;
}

char *cg_sdp_build_sub_offer(const CgSdp *publisher, const CgSdpLocal *local,
                             const CgSdpRelay *relay, GError **error)
{
    g_return_val_if_fail(publisher != NULL, NULL);
    const CgSdpMedia *src[3] = {cg_sdp_sending(publisher, CG_SDP_KIND_AUDIO, 0),
                                cg_sdp_sending(publisher, CG_SDP_KIND_VIDEO, 0), NULL};
    if (!src[0] && !src[1]) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the publisher sends neither Opus audio nor VP8 video");
        return NULL;
    }
    src[2] =
        relay && relay->screen_track_id ? cg_sdp_sending(publisher, CG_SDP_KIND_VIDEO, 1) : NULL;
    gboolean screen_line =
        src[1] && relay && relay->screen_track_id && (src[2] || relay->screen_slot);
    if (!local_valid(local, error) || !relay_valid(relay, src, screen_line, error))
        return NULL;
    static const char *const default_mids[] = {"0", "1", "2"};
    const char *mids[3];
    guint n = 0;
    for (guint k = 0; k < 3; k++)
        if (k < 2 ? src[k] != NULL : screen_line) {
            mids[n] = relay->mids ? relay->mids[n] : default_mids[n];
            n++;
        }
    GstSDPMessage *msg = new_message(local);
    g_autoptr(GPtrArray) bundle = g_ptr_array_new();
    for (guint i = 0; i < n; i++)
        g_ptr_array_add(bundle, (gpointer)mids[i]);
    add_group(msg, bundle);
    g_autofree char *wms = g_strdup_printf(" WMS %s", relay->stream_id);
    gst_sdp_message_add_attribute(msg, "msid-semantic", wms);
    for (guint k = 0, i = 0; k < 3; k++) {
        if (k < 2 ? !src[k] : !screen_line)
            continue;
        gboolean audio = k == 0;
        GstSDPMedia m;
        begin_media(&m, audio ? "audio" : "video", "UDP/TLS/RTP/SAVPF", mids[i], local,
                    CG_SDP_SETUP_ACTPASS, i == 0);
        if (k == 2 && !src[2]) {
            /* the slot of a stopped screen share: inactive, the camera's codec */
            gst_sdp_media_add_attribute(&m, "inactive", NULL);
            gst_sdp_media_add_attribute(&m, "content", "slides");
            add_codec(&m, src[1], src[1]->codec.fmtp);
            gst_sdp_message_add_media(msg, &m);
            i++;
            continue;
        }
        gst_sdp_media_add_attribute(&m, "sendonly", NULL);
        if (k == 2)
            gst_sdp_media_add_attribute(&m, "content", "slides"); /* RFC 4796 */
        add_extmaps(&m, src[k]);
        /* the publisher's parameters describe the stream as it is encoded */
        add_codec(&m, src[k], src[k]->codec.fmtp);
        add_ssrcs(&m, src[k], relay,
                  k == 0   ? relay->audio_track_id
                  : k == 1 ? relay->video_track_id
                           : relay->screen_track_id);
        gst_sdp_message_add_media(msg, &m);
        i++;
    }
    return finish(msg, !relay->fmtp_as_is);
}

/* ---- checking an answer to our offer ---------------------------------- */

static gboolean setup_completes(CgSdpSetup offer, CgSdpSetup answer)
{
    if (offer == CG_SDP_SETUP_ACTPASS)
        return answer == CG_SDP_SETUP_ACTIVE || answer == CG_SDP_SETUP_PASSIVE;
    if (offer == CG_SDP_SETUP_PASSIVE)
        return answer == CG_SDP_SETUP_ACTIVE;
    return answer == CG_SDP_SETUP_PASSIVE;
}

static gboolean check_mline(guint i, const CgSdpMedia *o, const CgSdpMedia *a, CgSdpAccepted *acc,
                            GError **error)
{
    const char *fail = NULL;
    memset(acc, 0, sizeof *acc);
    acc->rtx_pt = -1;
    if (a->kind != o->kind)
        fail = "its media kind differs from the offer's";
    else if (!a->rejected && g_strcmp0(a->mid, o->mid) != 0)
        fail = "its a=mid differs from the offer's";
    else if (o->rejected || a->rejected || !cg_sdp_media_usable(o))
        return TRUE;
    else if ((sends(a->direction) && !receives(o->direction)) ||
             (receives(a->direction) && !sends(o->direction)))
        fail = "its direction does not fit the offer's";
    else if (a->direction == CG_SDP_INACTIVE)
        return TRUE;
    else if (!a->codec.present || a->codec.pt != o->codec.pt)
        fail = o->kind == CG_SDP_KIND_AUDIO ? "it does not accept the offered Opus payload"
                                            : "it does not accept the offered VP8 payload";
    else if (!a->rtcp_mux)
        fail = "it lacks a=rtcp-mux";
    else if (!setup_completes(o->setup, a->setup))
        fail = "its a=setup does not complete the offer's DTLS role";
    if (fail) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "answer m-line %u (mid %s, %s, setup %s): %s", i, a->mid ? a->mid : "-",
                    direction_name(a->direction), setup_name(a->setup), fail);
        return FALSE;
    }
    acc->active = TRUE;
    acc->pt = o->codec.pt;
    if (o->codec.rtx_pt >= 0 && a->codec.rtx_pt == o->codec.rtx_pt)
        acc->rtx_pt = o->codec.rtx_pt;
    acc->feedback = o->codec.feedback & a->codec.feedback;
    acc->ext_mid_id = cg_sdp_media_extmap_id(a, CG_SDP_EXT_MID);
    acc->ext_audio_level_id = cg_sdp_media_extmap_id(a, CG_SDP_EXT_AUDIO_LEVEL);
    return TRUE;
}

gboolean cg_sdp_check_answer(const CgSdp *offer, const CgSdp *answer, CgSdpAccepted *accepted,
                             GError **error)
{
    g_return_val_if_fail(offer != NULL && answer != NULL, FALSE);
    if (answer->n_media != offer->n_media) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the answer has %u m-lines; the offer had %u", answer->n_media, offer->n_media);
        return FALSE;
    }
    CgSdpAccepted local[CG_MEDIA_MAX_MLINES];
    CgSdpAccepted *acc = accepted ? accepted : local;
    guint active = 0;
    for (guint i = 0; i < offer->n_media; i++) {
        if (!check_mline(i, &offer->media[i], &answer->media[i], &acc[i], error))
            return FALSE;
        active += acc[i].active ? 1 : 0;
    }
    if (active == 0) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "the answer accepts none of the offered m-lines");
        return FALSE;
    }
    return TRUE;
}
