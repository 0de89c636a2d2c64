/* mix_route.c — interpretation mixes in the relay (media.h "Interpretation
 * mixes", relay-private.h): which endpoints feed which CgMixer, and the
 * mixer's output to the "mix" slots of its listeners on one continuous RTP
 * line per slot.
 */
#include "relay-private.h"

#include <math.h>
#include <string.h>

#define FRAME_TS (CG_MIXER_CLOCK_RATE / 50u) /* 20 ms */
/* a forward step of the mix's own sequence numbers up to this is loss (the
 * receiver sees it as such); anything else is a new line to re-base onto ours */
#define MAX_SEQ_STEP 100u
#define MAX_IDLE_US (60 * G_USEC_PER_SEC) /* a timestamp step at most this long */
#define NTP_UNIX_OFFSET 2208988800u       /* seconds from 1900 to 1970 */

typedef struct {
    CgEndpointId ep;
    double gain;
    gboolean fed; /* an input of the mixer: the endpoint is there and publishes audio */
} CgMixInput;

struct _CgMix {
    CgMedia *relay;
    CgMixId id;
    CgMixer *mixer;
    GArray *inputs;       /* CgMixInput, as the caller last set them */
    GPtrArray *listeners; /* CgEndpoint * whose slot carries this mix */
    gboolean output_seen;
};

static guint64 *id_dup(guint64 id)
{
    return g_memdup2(&id, sizeof id);
}

static CgMix *mix_lookup(CgMedia *relay, CgMixId id)
{
    return g_hash_table_lookup(relay->mixes, &id);
}

/* ---- the slot's RTP line ------------------------------------------------ */

void cg_mix_timeline_next(CgMixTimeline *tl, guint32 in_ssrc, guint16 in_seq, guint32 in_ts,
                          gint64 now_us, guint16 *out_seq, guint32 *out_ts, gboolean *marker)
{
    guint16 dseq = (guint16)(in_seq - tl->in_seq);
    guint32 dts = in_ts - tl->in_ts;
    gboolean jump = !tl->started || tl->rebase || in_ssrc != tl->in_ssrc || dseq == 0 ||
                    dseq > MAX_SEQ_STEP || dts > (guint32)dseq * FRAME_TS * 6;
    if (jump) {
        guint16 next_seq;
        guint32 next_ts;
        if (!tl->started) {
            next_seq = (guint16)g_random_int();
            next_ts = g_random_int();
        } else {
            /* on from where the receiver is: one packet on, and as much
             * media time as wall time went by (at least one frame) */
            gint64 idle = CLAMP(now_us - tl->out_at_us, 0, MAX_IDLE_US);
            guint32 step = (guint32)(idle * CG_MIXER_CLOCK_RATE / G_USEC_PER_SEC);
            next_seq = (guint16)(tl->out_seq + 1);
            next_ts = tl->out_ts + MAX(step, FRAME_TS);
        }
        tl->seq_delta = (guint16)(next_seq - in_seq);
        tl->ts_delta = next_ts - in_ts;
        tl->started = TRUE;
        tl->rebase = FALSE;
    }
    *marker = jump; /* a new talkspurt for the receiver's jitter buffer */
    tl->in_ssrc = in_ssrc;
    tl->in_seq = in_seq;
    tl->in_ts = in_ts;
    tl->out_seq = *out_seq = (guint16)(in_seq + tl->seq_delta);
    tl->out_ts = *out_ts = in_ts + tl->ts_delta;
    tl->out_at_us = now_us;
}

/* ---- output: the mixer's packets to its listeners ----------------------- */

static gboolean slot_open(const CgEndpoint *ep)
{
    const CgPc *pc = ep->mix_pc;
    if (!pc || !pc->up || !pc->accepts[CG_KIND_AUDIO] || ep->bad || ep->stopped)
        return FALSE;
    /* as sub_open: nothing before the endpoint's own publish is verified */
    return !ep->offer || ep->publish->up;
}

static void on_output(gpointer user, const guint8 *rtp, gsize len)
{
    CgMix *mix = user;
    CgMedia *relay = mix->relay;
    CgRtpHeader h;
    if (!cg_rtp_parse(rtp, len, &h) || len + CG_PEER_CONN_SEND_OVERHEAD > sizeof relay->scratch)
        return;
    if (!mix->output_seen) {
        mix->output_seen = TRUE;
        g_debug("media: mix %" G_GUINT64_FORMAT " sends", mix->id);
    }
    gint64 now = 0;
    for (guint i = 0; i < mix->listeners->len; i++) {
        CgEndpoint *ep = g_ptr_array_index(mix->listeners, i);
        if (!slot_open(ep))
            continue;
        if (!now)
            now = cg_relay_now(relay);
        guint16 seq;
        guint32 ts;
        gboolean marker;
        cg_mix_timeline_next(&ep->timeline, h.ssrc, h.sequence, h.timestamp, now, &seq, &ts,
                             &marker);
        if (marker)
            g_debug("%s mix slot: mix %" G_GUINT64_FORMAT " from sequence %u", ep->tag, mix->id,
                    seq);
        guint8 *out = relay->scratch;
        memcpy(out, rtp, len);
        cg_rtp_set_ssrc(out, len, ep->mix_source->media[0].ssrcs[0].ssrc);
        cg_rtp_set_sequence(out, len, seq);
        cg_rtp_set_timestamp(out, len, ts);
        cg_rtp_set_payload_type(out, len, CG_MIXER_PAYLOAD_TYPE);
        if (marker)
            out[1] |= 0x80;
        if (cg_peer_conn_send_rtp(ep->mix_pc->conn, out, len, sizeof relay->scratch)) {
            ep->timeline.packets++;
            ep->timeline.octets += h.payload_length;
        }
    }
}

/* ---- inputs ------------------------------------------------------------- */

static void update_mix_path(CgEndpoint *ep)
{
    ep->mix_path = ep->feeds != NULL || ep->audio_unrelayed;
}

static void feeds_add(CgEndpoint *ep, CgMix *mix)
{
    if (!ep->feeds)
        ep->feeds = g_ptr_array_new();
    g_ptr_array_add(ep->feeds, mix);
    update_mix_path(ep);
}

static void feeds_remove(CgEndpoint *ep, CgMix *mix)
{
    if (!ep->feeds)
        return;
    g_ptr_array_remove_fast(ep->feeds, mix);
    if (ep->feeds->len == 0)
        g_clear_pointer(&ep->feeds, g_ptr_array_unref);
    update_mix_path(ep);
}

/* Makes @in an input of the mixer if its endpoint publishes audio now. */
static void attach(CgMix *mix, CgMixInput *in, double gain)
{
    CgEndpoint *ep = cg_relay_lookup(mix->relay, in->ep);
    if (in->fed || !ep || !ep->streams[CG_KIND_AUDIO].present)
        return;
    g_autoptr(GError) error = NULL;
    if (!cg_mixer_add_input(mix->mixer, ep->id, ep->streams[CG_KIND_AUDIO].pt, gain, &error)) {
        g_warning("%s cannot feed mix %" G_GUINT64_FORMAT ": %s", ep->tag, mix->id, error->message);
        return;
    }
    in->fed = TRUE;
    feeds_add(ep, mix);
}

static void detach(CgMix *mix, CgMixInput *in)
{
    if (!in->fed)
        return;
    cg_mixer_remove_input(mix->mixer, in->ep);
    in->fed = FALSE;
    CgEndpoint *ep = cg_relay_lookup(mix->relay, in->ep);
    if (ep)
        feeds_remove(ep, mix);
}

void cg_mix_route_tap(CgEndpoint *ep, const guint8 *packet, gsize len)
{
    for (guint i = 0; i < ep->feeds->len; i++) {
        CgMix *mix = g_ptr_array_index(ep->feeds, i);
        cg_mixer_push(mix->mixer, ep->id, packet, len);
    }
}

void cg_mix_route_published(CgEndpoint *ep)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, ep->relay->mixes);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgMix *mix = value;
        for (guint i = 0; i < mix->inputs->len; i++) {
            CgMixInput *in = &g_array_index(mix->inputs, CgMixInput, i);
            if (in->ep == ep->id)
                attach(mix, in, in->gain);
        }
    }
}

void cg_mix_route_endpoint_gone(CgEndpoint *ep)
{
    while (ep->feeds) { /* each detach shrinks it; the last frees it */
        CgMix *mix = g_ptr_array_index(ep->feeds, 0);
        for (guint i = 0; i < mix->inputs->len; i++) {
            CgMixInput *in = &g_array_index(mix->inputs, CgMixInput, i);
            if (in->ep == ep->id)
                detach(mix, in); /* stays listed: endpoint ids are not reused */
        }
        if (ep->feeds && g_ptr_array_find(ep->feeds, mix, NULL))
            feeds_remove(ep, mix); /* never left behind, whatever the lists say */
    }
    if (ep->heard)
        g_ptr_array_remove_fast(ep->heard->listeners, ep);
    ep->heard = NULL;
}

/* ---- mixes -------------------------------------------------------------- */

static gboolean inputs_valid(const CgMediaMixInput *inputs, guint n, GError **error)
{
    for (guint i = 0; i < n; i++) {
        const char *why = NULL;
        if (inputs[i].ep == 0)
            why = "endpoint 0";
        else if (!isfinite(inputs[i].gain) || inputs[i].gain < 0 || inputs[i].gain > 1)
            why = "a gain outside 0..1";
        for (guint j = 0; !why && j < i; j++)
            if (inputs[j].ep == inputs[i].ep)
                why = "the same endpoint twice";
        if (why) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "mix input %u: %s", i, why);
            return FALSE;
        }
    }
    return TRUE;
}

static CgMix *mix_new(CgMedia *relay, CgMixId id, GError **error)
{
    CgMix *mix = g_new0(CgMix, 1);
    mix->relay = relay;
    mix->id = id;
    g_autofree char *name = g_strdup_printf("mix-%" G_GUINT64_FORMAT, id);
    g_autoptr(GError) local = NULL;
    mix->mixer = cg_mixer_new(name, on_output, mix, &local);
    if (!mix->mixer) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "%s: %s", name, local->message);
        g_free(mix);
        return NULL;
    }
    mix->inputs = g_array_new(FALSE, FALSE, sizeof(CgMixInput));
    mix->listeners = g_ptr_array_new();
    g_hash_table_insert(relay->mixes, id_dup(id), mix);
    /* endpoints told to listen to it before it existed */
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgEndpoint *ep = value;
        if (ep->listening == id && !ep->heard) {
            ep->heard = mix;
            ep->timeline.rebase = TRUE;
            g_ptr_array_add(mix->listeners, ep);
        }
    }
    g_info("media: mix %" G_GUINT64_FORMAT " created", id);
    return mix;
}

static const CgMediaMixInput *find_input(const CgMediaMixInput *inputs, guint n, CgEndpointId ep)
{
    for (guint i = 0; i < n; i++)
        if (inputs[i].ep == ep)
            return &inputs[i];
    return NULL;
}

gboolean cg_media_mix_set(CgMedia *relay, CgMixId id, const CgMediaMixInput *inputs, guint n_inputs,
                          GError **error)
{
    if (id == 0) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_FAILED, "mix id 0 is not valid");
        return FALSE;
    }
    if (!inputs_valid(inputs, n_inputs, error))
        return FALSE;
    CgMix *mix = mix_lookup(relay, id);
    if (!mix && !(mix = mix_new(relay, id, error)))
        return FALSE;
    /* removed first (a removal is a gain going down), then the new ones in at
     * 0, then every gain as one step: lowered before raised (mixer.h) */
    for (guint i = mix->inputs->len; i-- > 0;) {
        CgMixInput *in = &g_array_index(mix->inputs, CgMixInput, i);
        if (!find_input(inputs, n_inputs, in->ep)) {
            detach(mix, in);
            g_array_remove_index(mix->inputs, i);
        }
    }
    for (guint i = 0; i < n_inputs; i++) {
        CgMixInput *in = NULL;
        for (guint j = 0; !in && j < mix->inputs->len; j++)
            if (g_array_index(mix->inputs, CgMixInput, j).ep == inputs[i].ep)
                in = &g_array_index(mix->inputs, CgMixInput, j);
        if (!in) {
            CgMixInput added = {.ep = inputs[i].ep};
            g_array_append_val(mix->inputs, added);
            in = &g_array_index(mix->inputs, CgMixInput, mix->inputs->len - 1);
            attach(mix, in, 0.0);
        }
        in->gain = inputs[i].gain;
    }
    g_autofree CgMixerGain *gains = g_new0(CgMixerGain, MAX(mix->inputs->len, 1));
    guint n = 0;
    for (guint i = 0; i < mix->inputs->len; i++) {
        const CgMixInput *in = &g_array_index(mix->inputs, CgMixInput, i);
        if (in->fed)
            gains[n++] = (CgMixerGain){.id = in->ep, .gain = in->gain};
    }
    cg_mixer_set_gains(mix->mixer, gains, n);
    return TRUE;
}

static void mix_free(CgMix *mix)
{
    for (guint i = 0; i < mix->inputs->len; i++)
        detach(mix, &g_array_index(mix->inputs, CgMixInput, i));
    for (guint i = 0; i < mix->listeners->len; i++) {
        CgEndpoint *ep = g_ptr_array_index(mix->listeners, i);
        ep->heard = NULL; /* still listening to the id: nothing comes */
    }
    cg_mixer_free(mix->mixer); /* no output after this */
    g_array_unref(mix->inputs);
    g_ptr_array_unref(mix->listeners);
    g_free(mix);
}

void cg_media_mix_remove(CgMedia *relay, CgMixId id)
{
    CgMix *mix = mix_lookup(relay, id);
    if (!mix)
        return;
    g_hash_table_remove(relay->mixes, &id);
    mix_free(mix);
    g_info("media: mix %" G_GUINT64_FORMAT " removed", id);
}

void cg_mix_route_free_all(CgMedia *relay)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->mixes);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        mix_free(value);
        g_hash_table_iter_remove(&it); /* its key; the table owns no value */
    }
}

/* ---- what endpoints hear ------------------------------------------------ */

gboolean cg_media_endpoint_listen(CgMedia *relay, CgEndpointId id, CgMixId mix_id, GError **error)
{
    CgEndpoint *ep = cg_relay_endpoint_or_error(relay, id, error);
    if (!ep)
        return FALSE;
    if (ep->listening == mix_id)
        return TRUE;
    if (ep->heard)
        g_ptr_array_remove_fast(ep->heard->listeners, ep);
    ep->listening = mix_id;
    ep->heard = mix_id ? mix_lookup(relay, mix_id) : NULL;
    if (ep->heard)
        g_ptr_array_add(ep->heard->listeners, ep);
    ep->timeline.rebase = TRUE; /* the next packet continues the slot's line */
    g_info("%s mix slot carries %s %" G_GUINT64_FORMAT, ep->tag, mix_id ? "mix" : "nothing",
           mix_id);
    return TRUE;
}

gboolean cg_media_endpoint_set_receive_relayed_audio(CgMedia *relay, CgEndpointId id,
                                                     gboolean receive, GError **error)
{
    CgEndpoint *ep = cg_relay_endpoint_or_error(relay, id, error);
    if (ep && ep->no_relayed_audio_in == receive) {
        ep->no_relayed_audio_in = !receive;
        g_info("%s %s", ep->tag,
               receive ? "receives relayed audio again" : "receives no relayed audio");
    }
    return ep != NULL;
}

gboolean cg_media_endpoint_set_audio_relayed(CgMedia *relay, CgEndpointId id, gboolean relayed,
                                             GError **error)
{
    CgEndpoint *ep = cg_relay_endpoint_or_error(relay, id, error);
    if (ep && ep->audio_unrelayed == relayed) {
        ep->audio_unrelayed = !relayed;
        update_mix_path(ep);
        g_info("%s audio %s", ep->tag, relayed ? "relayed again" : "goes to mixes only");
    }
    return ep != NULL;
}

/* ---- RTCP on a slot ----------------------------------------------------- */

void cg_mix_route_slot_rtcp(gpointer user, guint8 *packet, gsize len, gsize capacity)
{
    (void)capacity;
    CgPc *pc = user;
    CgEndpoint *ep = pc->ep;
    if (ep->bad || !ep->mix_source || !cg_rtcp_validate(packet, len))
        return;
    guint32 ssrc = ep->mix_source->media[0].ssrcs[0].ssrc;
    gint64 now = cg_relay_now(pc->relay);
    CgRtcpIter it;
    CgRtcpPacket p;
    cg_rtcp_iter_init(&it, packet, len);
    while (cg_rtcp_iter_next(&it, &p)) {
        CgRtcpReceiverReport rr;
        CgRtcpSenderReport sr;
        const CgRtcpReportBlock *blocks = NULL;
        guint n = 0;
        if (p.type == CG_RTCP_TYPE_RR && cg_rtcp_parse_rr(&p, &rr))
            blocks = rr.blocks, n = rr.n_blocks;
        else if (p.type == CG_RTCP_TYPE_SR && cg_rtcp_parse_sr(&p, &sr))
            blocks = sr.blocks, n = sr.n_blocks;
        for (guint i = 0; i < n; i++) {
            const CgRtcpReportBlock *b = &blocks[i];
            if (b->ssrc != ssrc)
                continue;
            ep->out_loss_sum += b->fraction_lost * 100.0 / 256.0;
            ep->out_loss_n++;
            ep->out_jitter_sum_ms += b->jitter * 1000.0 / CG_MIXER_CLOCK_RATE;
            ep->out_jitter_n++;
            if (b->lsr && b->lsr == ep->timeline.sr_lsr) {
                gint64 rtt =
                    now - ep->timeline.sr_sent_us - (gint64)b->dlsr * G_USEC_PER_SEC / 65536;
                if (rtt >= 0) {
                    ep->rtt_sum_ms += rtt / 1000.0;
                    ep->rtt_n++;
                }
            }
        }
    }
}

/* ---- sender reports on slots -------------------------------------------- */

static void put32(guint8 *p, guint32 v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* SR (no report blocks) + SDES CNAME "cg-mix": 28 + 20 bytes. */
static gsize build_sr(guint8 *buf, guint32 ssrc, guint64 ntp, guint32 rtp_ts, guint32 packets,
                      guint32 octets)
{
    static const char cname[] = "cg-mix";
    buf[0] = 0x80;
    buf[1] = CG_RTCP_TYPE_SR;
    buf[2] = 0;
    buf[3] = 6; /* 28 bytes / 4 - 1 */
    put32(buf + 4, ssrc);
    put32(buf + 8, (guint32)(ntp >> 32));
    put32(buf + 12, (guint32)ntp);
    put32(buf + 16, rtp_ts);
    put32(buf + 20, packets);
    put32(buf + 24, octets);
    guint8 *s = buf + 28;
    memset(s, 0, 20);
    s[0] = 0x81; /* one chunk */
    s[1] = 202;  /* SDES */
    s[3] = 4;    /* 20 bytes / 4 - 1 */
    put32(s + 4, ssrc);
    s[8] = 1; /* CNAME */
    s[9] = sizeof cname - 1;
    memcpy(s + 10, cname, sizeof cname - 1); /* then the end item and padding: zeros */
    return 48;
}

void cg_mix_route_reports(CgMedia *relay)
{
    gint64 now = cg_relay_now(relay);
    gint64 wall = g_get_real_time();
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, relay->mixes);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgMix *mix = value;
        CgMixerCounters c;
        cg_mixer_counters(mix->mixer, &c);
        g_debug("media: mix %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT
                " packets in, %" G_GUINT64_FORMAT " out, %" G_GUINT64_FORMAT
                " dropped, %u listening",
                mix->id, c.packets_in, c.packets_out, c.dropped, mix->listeners->len);
    }
    g_hash_table_iter_init(&it, relay->endpoints);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        CgEndpoint *ep = value;
        CgMixTimeline *tl = &ep->timeline;
        if (!tl->started || !slot_open(ep))
            continue;
        guint64 ntp = ((guint64)(wall / G_USEC_PER_SEC) + NTP_UNIX_OFFSET) << 32 |
                      (guint64)(wall % G_USEC_PER_SEC) * ((guint64)1 << 32) / G_USEC_PER_SEC;
        gint64 since = CLAMP(now - tl->out_at_us, 0, MAX_IDLE_US);
        guint32 rtp_ts = tl->out_ts + (guint32)(since * CG_MIXER_CLOCK_RATE / G_USEC_PER_SEC);
        guint8 buf[48 + CG_PEER_CONN_SEND_OVERHEAD];
        gsize n = build_sr(buf, ep->mix_source->media[0].ssrcs[0].ssrc, ntp, rtp_ts,
                           (guint32)tl->packets, (guint32)tl->octets);
        if (cg_peer_conn_send_rtcp(ep->mix_pc->conn, buf, n, sizeof buf)) {
            tl->sr_lsr = cg_rtcp_ntp_middle(ntp);
            tl->sr_sent_us = now;
        }
    }
}
