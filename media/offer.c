/* offer.c — a publish offer, checked whole before the relay takes it,
 * and the names a subscribe connection relays it under.
 *
 * Why whole and first: what one endpoint publishes is rewritten into an
 * offer for every other endpoint routed to it. If that rewriting could fail
 * after the publish offer was taken, the failure would land on the
 * subscribers (who did nothing wrong). So every rule is checked here, the
 * subscribe offers are built once as a dry run, and only an offer that
 * passes changes anything; a refusal is the publisher's bad_sdp alone.
 */
#include "relay-private.h"

#include <string.h>

#define MAX_MID_BYTES 32u /* as cg_sdp_build_sub_offer() accepts them */

void cg_offer_names(const CgEndpoint *pub, const CgSdp *offer, const CgPc *sub, CgOfferNames *n)
{
    memset(n, 0, sizeof *n);
    g_snprintf(n->stream, sizeof n->stream, "cg-%" G_GUINT64_FORMAT, pub->id);
    g_snprintf(n->audio, sizeof n->audio, "%s-audio", n->stream);
    g_snprintf(n->video, sizeof n->video, "%s-video", n->stream);
    g_snprintf(n->screen, sizeof n->screen, "%s-screen", n->stream);
    const CgSdpMedia *am = cg_sdp_sending(offer, CG_SDP_KIND_AUDIO, 0);
    const CgSdpMedia *vm = cg_sdp_sending(offer, CG_SDP_KIND_VIDEO, 0);
    const CgSdpMedia *sm = cg_sdp_sending(offer, CG_SDP_KIND_VIDEO, 1);
    /* the publisher's own mids, so the mid header extension it writes is right */
    guint i = 0;
    if (am)
        n->mids[i++] = am->mid ? am->mid : "0";
    if (vm)
        n->mids[i++] = vm->mid ? vm->mid : "1";
    gboolean slot = sub && sub->screen_slot;
    if (vm && (sm || slot))
        n->mids[i++] = sm && sm->mid ? sm->mid : slot ? sub->screen_mid : "2";
    n->relay = (CgSdpRelay){
        .stream_id = n->stream,
        .audio_track_id = n->audio,
        .video_track_id = n->video,
        .mids = n->mids,
        .screen_track_id = n->screen,
        .screen_slot = slot,
    };
}

gboolean cg_offer_relayable(const CgEndpoint *pub, const CgSdp *offer, const CgPc *sub,
                            GError **error)
{
    CgOfferNames names;
    cg_offer_names(pub, offer, sub, &names);
    CgSdpFingerprint fp = {
        .hash_func = (char *)"sha-256",
        .value = (char *)cg_dtls_identity_fingerprint(pub->relay->identity),
    };
    /* stand-in credentials: only the shape of the result matters here */
    CgSdpLocal local = {
        .ice_ufrag = "dryrun",
        .ice_pwd = "dryrundryrundryrundryrun",
        .fingerprint = &fp,
    };
    g_autoptr(GError) local_error = NULL;
    g_autofree char *text = cg_sdp_build_sub_offer(offer, &local, &names.relay, &local_error);
    g_autoptr(CgSdp) back = text ? cg_sdp_parse(text, strlen(text), &local_error) : NULL;
    if (!back) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "what the offer sends cannot be relayed to the others: %s",
                    local_error->message);
        return FALSE;
    }
    return TRUE;
}

/* Does @offer keep what @before had (m-lines may only be added; each keeps
 * its kind and mid), with the same microphone and camera (mid, codec)? What
 * may change is the screen share: added, stopped (inactive) or restarted. */
static const char *changed_media(const CgSdp *before, const CgSdp *offer)
{
    if (offer->n_media < before->n_media)
        return "m-lines may not be removed (set them inactive)";
    for (guint i = 0; i < before->n_media; i++)
        if (before->media[i].kind != offer->media[i].kind ||
            g_strcmp0(before->media[i].mid, offer->media[i].mid) != 0)
            return "an m-line changed its kind or mid";
    for (guint k = 0; k < 2; k++) {
        CgSdpKind kind = k == 0 ? CG_SDP_KIND_AUDIO : CG_SDP_KIND_VIDEO;
        const CgSdpMedia *a = cg_sdp_sending(before, kind, 0);
        const CgSdpMedia *b = cg_sdp_sending(offer, kind, 0);
        if ((a == NULL) != (b == NULL) ||
            (a && (g_strcmp0(a->mid, b->mid) != 0 || a->codec.pt != b->codec.pt ||
                   a->codec.rtx_pt != b->codec.rtx_pt)))
            return k == 0 ? "the microphone's m-line changed" : "the camera's m-line changed";
    }
    return NULL;
}

const char *cg_offer_first_ufrag(const CgSdp *sdp)
{
    for (guint i = 0; i < sdp->n_media; i++)
        if (cg_sdp_media_usable(&sdp->media[i]))
            return sdp->media[i].ice_ufrag;
    return NULL;
}

static gboolean refuse(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);
static gboolean refuse(GError **error, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    g_autofree char *message = g_strdup_vprintf(format, args);
    va_end(args);
    g_set_error_literal(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP, message);
    return FALSE;
}

/* Every usable m-line has a mid that is a token of at most MAX_MID_BYTES,
 * no two m-lines share a mid, no two share an SSRC (a receiver's browser
 * refuses both). */
static gboolean names_unique(const CgSdp *offer, GError **error)
{
    for (guint i = 0; i < offer->n_media; i++) {
        const CgSdpMedia *m = &offer->media[i];
        if (!cg_sdp_media_usable(m))
            continue;
        if (!m->mid || !*m->mid || strlen(m->mid) > MAX_MID_BYTES)
            return refuse(error, "m-line %u: a=mid must be 1 to %u characters", i, MAX_MID_BYTES);
        for (const char *c = m->mid; *c; c++)
            if (!g_ascii_isgraph(*c))
                return refuse(error, "m-line %u: a=mid has a space or control character", i);
        for (guint j = 0; j < i; j++)
            if (g_strcmp0(offer->media[j].mid, m->mid) == 0)
                return refuse(error, "m-lines %u and %u have the same a=mid", j, i);
        for (guint s = 0; s < m->n_ssrcs; s++)
            for (guint j = 0; j < i; j++)
                for (guint t = 0; t < offer->media[j].n_ssrcs; t++)
                    if (cg_sdp_media_usable(&offer->media[j]) &&
                        offer->media[j].ssrcs[t].ssrc == m->ssrcs[s].ssrc)
                        return refuse(error, "m-lines %u and %u have the same SSRC %u", j, i,
                                      m->ssrcs[s].ssrc);
    }
    return TRUE;
}

gboolean cg_offer_check(const CgEndpoint *ep, const CgSdp *offer, gboolean *restart, GError **error)
{
    *restart = FALSE;
    if (!cg_sdp_sending(offer, CG_SDP_KIND_AUDIO, 0) &&
        !cg_sdp_sending(offer, CG_SDP_KIND_VIDEO, 0))
        return refuse(error, "the publish offer sends nothing: it needs a sending Opus or VP8 "
                             "m-line (every m-line is receive-only or inactive)");
    if (!names_unique(offer, error))
        return FALSE;
    /* role rules hold for every offer, the first one too */
    if (cg_sdp_sending(offer, CG_SDP_KIND_VIDEO, 1) && !ep->screen_allowed)
        return refuse(error, "screen sharing is for clinicians: this participant may not share a "
                             "screen (the offer has a second sending video m-line)");
    if (ep->offer) {
        const char *why = changed_media(ep->offer, offer);
        if (why)
            return refuse(error,
                          "a new publish offer may restart ICE or start/stop a screen share "
                          "only: %s",
                          why);
        *restart = g_strcmp0(cg_offer_first_ufrag(ep->offer), cg_offer_first_ufrag(offer)) != 0;
        if (*restart && offer->n_media != ep->offer->n_media)
            return refuse(error, "an ICE restart may not change the media as well");
    }
    /* the dry run: a newcomer's subscribe offer, and each existing one */
    if (!cg_offer_relayable(ep, offer, NULL, error))
        return FALSE;
    for (guint i = 0; i < ep->fanout->len; i++)
        if (!cg_offer_relayable(ep, offer, g_ptr_array_index(ep->fanout, i), error))
            return FALSE;
    return TRUE;
}

/* ---- a mix slot --------------------------------------------------------- */

#define MIX_STREAM "cg-mix"

CgSdp *cg_offer_mix_source(guint32 ssrc)
{
    CgSdp *sdp = g_new0(CgSdp, 1);
    sdp->bundle_mids = g_strsplit("0", " ", -1);
    sdp->n_media = 1;
    CgSdpMedia *m = &sdp->media[0];
    m->kind = CG_SDP_KIND_AUDIO;
    m->media_type = g_strdup("audio");
    m->proto = g_strdup("UDP/TLS/RTP/SAVPF");
    m->mid = g_strdup("0");
    m->direction = CG_SDP_SENDONLY;
    m->rtcp_mux = TRUE;
    m->candidates = g_new0(char *, 1);
    /* what the mixer's encoder makes: fullband Opus, in-band FEC, no DTX */
    m->codec = (CgSdpCodec){
        .present = TRUE,
        .pt = CG_MIXER_PAYLOAD_TYPE,
        .clock_rate = CG_MIXER_CLOCK_RATE,
        .channels = 2,
        .fmtp = g_strdup("minptime=10;useinbandfec=1"),
        .rtx_pt = -1,
    };
    m->ssrcs[0].ssrc = ssrc;
    m->ssrcs[0].cname = g_strdup(MIX_STREAM);
    m->n_ssrcs = 1;
    return sdp;
}

void cg_offer_mix_names(CgOfferNames *n)
{
    memset(n, 0, sizeof *n);
    g_strlcpy(n->stream, MIX_STREAM, sizeof n->stream);
    g_strlcpy(n->audio, MIX_STREAM "-audio", sizeof n->audio);
    n->mids[0] = "0";
    n->relay = (CgSdpRelay){
        .stream_id = n->stream,
        .audio_track_id = n->audio,
        .cname = MIX_STREAM,
        .mids = n->mids,
        .fmtp_as_is = TRUE,
    };
}
