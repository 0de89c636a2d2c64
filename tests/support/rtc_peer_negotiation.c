/* rtc_peer_negotiation.c — the signaling side of rtc_peer's connections:
 * local and remote descriptions, candidates, ICE restarts, ICE hardening.
 * Signal handlers (GStreamer threads) only copy and hop; the rest runs on
 * the peer's main context. */
#include "rtc_peer-private.h"

#include <agent.h>
#include <gst/sdp/sdp.h>
#include <string.h>

/* ---- ICE: same hardening as the server ----------------------------------- */

static void harden_ice(GstElement *webrtc, const CgRtcPeerOptions *opt)
{
    gboolean tcp_only = opt->tcp_only;
    if (opt->turn_server)
        g_object_set(webrtc, "turn-server", opt->turn_server, NULL);
    if (opt->relay_only)
        g_object_set(webrtc, "ice-transport-policy", GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
    GObject *ice = NULL, *agent = NULL;
    g_object_get(webrtc, "ice-agent", &ice, NULL);
    if (ice && g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent"))
        g_object_get(ice, "agent", &agent, NULL);
    if (agent) {
        NiceAddress addr;
        nice_address_init(&addr);
        nice_address_set_from_string(&addr, "127.0.0.1");
        g_object_set(agent, "upnp", FALSE, "ice-tcp", tcp_only, "ice-udp", !tcp_only, NULL);
        g_object_set(ice, "ice-tcp", tcp_only, "ice-udp", !tcp_only, NULL);
        nice_agent_add_local_address(NICE_AGENT(agent), &addr);
        g_object_unref(agent);
    } else {
        g_warning("rtc_peer: cannot restrict ICE to 127.0.0.1");
    }
    g_clear_object(&ice);
}

/* ---- candidates ------------------------------------------------------------ */

typedef struct {
    guint mline;
    char *text;
} PeerText;

static void text_free(gpointer p)
{
    PeerText *t = p;
    g_free(t->text);
    g_free(t);
}

static void main_candidate(CgRtcPeer *peer, PeerPc *pc, gpointer data)
{
    PeerText *t = data;
    if (*t->text && t->mline == 0)
        g_ptr_array_add(pc->candidates, g_strdup(t->text));
    if (peer->ev.candidate)
        peer->ev.candidate(peer->user, pc->name, t->mline, t->text);
}

static void on_ice_candidate(GstElement *w, guint mline, const char *cand, gpointer data)
{
    (void)w;
    PeerText *t = g_new0(PeerText, 1);
    t->mline = mline;
    t->text = g_strdup(cand);
    cg_rtc_peer_hop(data, main_candidate, t, text_free);
}

static void on_gathering(GObject *w, GParamSpec *ps, gpointer data)
{
    (void)ps;
    GstWebRTCICEGatheringState st;
    g_object_get(w, "ice-gathering-state", &st, NULL);
    if (st == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE) {
        PeerText *t = g_new0(PeerText, 1);
        t->text = g_strdup("");
        cg_rtc_peer_hop(data, main_candidate, t, text_free);
    }
}

void cg_rtc_peer_remote_candidate(CgRtcPeer *peer, const char *pc_name, guint mline_index,
                                  const char *candidate)
{
    PeerPc *pc = g_hash_table_lookup(peer->pcs, pc_name);
    if (pc && candidate && *candidate && !peer->frozen)
        g_signal_emit_by_name(pc->webrtc, "add-ice-candidate", mline_index, candidate);
}

/* options.trace: "ice-connection-state=connected" and the like. */
static void on_state(GObject *w, GParamSpec *pspec, gpointer data)
{
    const PcShared *sh = data;
    gint st = 0;
    g_object_get(w, pspec->name, &st, NULL);
    GEnumClass *k = g_type_class_ref(pspec->value_type);
    GEnumValue *v = g_enum_get_value(k, st);
    cg_rtc_peer_trace(sh->ps, sh->pc, "%s=%s", pspec->name, v ? v->value_nick : "?");
    g_type_class_unref(k);
}

/* ---- local descriptions -------------------------------------------------------- */

/* Changes the first hex digit of every a=fingerprint value (the same way, so
 * the SDP stays self-consistent and only the certificate check can catch it). */
static char *corrupt_fingerprint(const char *sdp)
{
    char *out = g_strdup(sdp);
    for (char *fp = strstr(out, "a=fingerprint:"); fp; fp = strstr(fp + 1, "a=fingerprint:")) {
        char *sp = strchr(fp, ' ');
        if (sp && g_ascii_isxdigit(sp[1]))
            sp[1] = sp[1] == '0' ? '1' : '0';
    }
    return out;
}

/* webrtcbin 1.22 ignores create-offer's "ice-restart": new random
 * credentials go into the offer before set-local-description, which hands
 * them to its ICE agent, and the agent itself is restarted (restart_agent):
 * it checks the server's new candidates again and nominates a pair, as a
 * restarted browser does. Without that restart it kept its old pair, answered
 * the server's checks but never nominated, and the server's side of the
 * restart failed ~5 s later. */
static void restart_agent(GstElement *webrtc)
{
    g_autoptr(GObject) ice = NULL;
    g_object_get(webrtc, "ice-agent", &ice, NULL);
    NiceAgent *agent = NULL;
    if (ice && g_object_class_find_property(G_OBJECT_GET_CLASS(ice), "agent"))
        g_object_get(ice, "agent", &agent, NULL);
    if (!agent) {
        g_warning("rtc_peer: no libnice agent in webrtcbin: the ICE restart is only signalled");
        return;
    }
    /* It forgets the remote credentials; the server's answer sets them again. */
    nice_agent_restart(agent);
    g_object_unref(agent);
}

/* Sets attribute @key of every m-line to @value. */
static void replace_attribute(GstSDPMessage *sdp, const char *key, const char *value)
{
    for (guint i = 0; i < gst_sdp_message_medias_len(sdp); i++) {
        GstSDPMedia *m = (GstSDPMedia *)gst_sdp_message_get_media(sdp, i);
        for (guint a = 0; a < gst_sdp_media_attributes_len(m); a++) {
            const GstSDPAttribute *attr = gst_sdp_media_get_attribute(m, a);
            if (g_strcmp0(attr->key, key) == 0) {
                GstSDPAttribute replacement;
                gst_sdp_attribute_set(&replacement, key, value);
                gst_sdp_media_replace_attribute(m, a, &replacement);
                break;
            }
        }
    }
}

static void new_ice_credentials(PeerPc *pc)
{
    restart_agent(pc->webrtc);
    g_free(pc->ice_ufrag);
    g_free(pc->ice_pwd);
    pc->ice_ufrag = g_strdup_printf("r%08x", g_random_int());
    pc->ice_pwd = g_strdup_printf("%08x%08x%08x", g_random_int(), g_random_int(), g_random_int());
}

/* Sends @sdp through events->description, unless a fault holds it. */
static void send_local(CgRtcPeer *peer, PeerPc *pc, gboolean offer, char *sdp)
{
    if (offer && peer->opt.corrupt_fingerprint) {
        char *bad = corrupt_fingerprint(sdp);
        g_free(sdp);
        sdp = bad;
    }
    g_autofree char *text = sdp;
    if (!offer && cg_rtc_peer_faults_hold_answer(peer->faults, pc->name, text))
        return; /* a slow answerer: sent on cg_rtc_peer_hold_answers(FALSE) */
    if (peer->ev.description)
        peer->ev.description(peer->user, pc->name, offer ? "offer" : "answer", text);
    if (offer)
        cg_rtc_peer_faults_note_sent_offer(peer->faults);
    /* After a renegotiation (an ICE restart on either side) the server's
     * agent has forgotten our candidates and webrtcbin gathers no new ones:
     * say them again, as a browser's restarted gathering would. */
    if (++pc->local_descriptions > 1 && peer->ev.candidate) {
        for (guint i = 0; i < pc->candidates->len; i++)
            peer->ev.candidate(peer->user, pc->name, 0, g_ptr_array_index(pc->candidates, i));
        peer->ev.candidate(peer->user, pc->name, 0, "");
    }
}

static void main_local(CgRtcPeer *peer, PeerPc *pc, gpointer data)
{
    GstWebRTCSessionDescription *desc = data;
    gboolean offer = desc->type == GST_WEBRTC_SDP_TYPE_OFFER;
    if (pc->restarting && offer) {
        pc->restarting = FALSE;
        new_ice_credentials(pc);
    }
    /* webrtcbin would put its first credentials back into a later offer (a
     * screen share after a restart): that would be a second restart. */
    if (pc->ice_ufrag && offer) {
        replace_attribute(desc->sdp, "ice-ufrag", pc->ice_ufrag);
        replace_attribute(desc->sdp, "ice-pwd", pc->ice_pwd);
    }
    /* webrtcbin as DTLS client (a=setup:active, what browsers answer) sends
     * its ClientHello as soon as the answer is set, before ICE is up; when
     * that first flight is lost, OpenSSL retransmits it after 1 s. A browser
     * waits for ICE first; passive makes the server start once its ICE is up. */
    if (!offer && peer->opt.answer_passive)
        replace_attribute(desc->sdp, "setup", "passive");
    cg_rtc_peer_trace(peer->ps, pc->name, "local-%s", offer ? "offer" : "answer");
    g_signal_emit_by_name(pc->webrtc, "set-local-description", desc, NULL);
    send_local(peer, pc, offer, gst_sdp_message_as_text(desc->sdp));
}

static void on_local_created(GstPromise *promise, gpointer data)
{
    PcShared *sh = data;
    GstWebRTCSessionDescription *desc = NULL;
    const GstStructure *reply = gst_promise_get_reply(promise);
    if (reply) {
        gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
        if (!desc)
            gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL);
    }
    if (desc) {
        cg_rtc_peer_trace(sh->ps, sh->pc, "created");
        cg_rtc_peer_hop(sh, main_local, desc, (GDestroyNotify)gst_webrtc_session_description_free);
    } else {
        g_message("rtc_peer %s: no local description", sh->pc);
    }
}

void cg_rtc_peer_create_local(PeerPc *pc, const char *what)
{
    GstPromise *p = gst_promise_new_with_change_func(on_local_created, cg_rtc_peer_pcs_copy(pc->sh),
                                                     (GDestroyNotify)cg_rtc_peer_pcs_free);
    g_signal_emit_by_name(pc->webrtc, what, NULL, p);
    gst_promise_unref(p);
}

static void main_negotiate(CgRtcPeer *peer, PeerPc *pc, gpointer data)
{
    (void)data;
    if (!pc->offered) {
        pc->offered = TRUE;
        cg_rtc_peer_trace(peer->ps, pc->name, "create-offer");
        cg_rtc_peer_create_local(pc, "create-offer");
    }
}

static void on_negotiation_needed(GstElement *w, gpointer data)
{
    (void)w;
    const PcShared *sh = data;
    cg_rtc_peer_trace(sh->ps, sh->pc, "negotiation-needed");
    cg_rtc_peer_hop(sh, main_negotiate, NULL, NULL);
}

void cg_rtc_peer_negotiation_attach(CgRtcPeer *peer, PeerPc *pc, gboolean receiving)
{
    harden_ice(pc->webrtc, &peer->opt);
    cg_rtc_peer_connect_pc(pc, "on-ice-candidate", G_CALLBACK(on_ice_candidate));
    cg_rtc_peer_connect_pc(pc, "notify::ice-gathering-state", G_CALLBACK(on_gathering));
    if (peer->opt.trace) {
        cg_rtc_peer_connect_pc(pc, "notify::ice-connection-state", G_CALLBACK(on_state));
        cg_rtc_peer_connect_pc(pc, "notify::connection-state", G_CALLBACK(on_state));
    }
    if (!receiving)
        cg_rtc_peer_connect_pc(pc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed));
}

void cg_rtc_peer_restart_ice(CgRtcPeer *peer)
{
    PeerPc *pc = g_hash_table_lookup(peer->pcs, "pub");
    if (!pc || peer->frozen)
        return;
    pc->restarting = TRUE;
    cg_rtc_peer_create_local(pc, "create-offer");
}

/* ---- remote descriptions ---------------------------------------------------------- */

/* repair_loss: NACK (and RTX, when offered) on video transceivers. webrtcbin
 * 1.22 makes a sub connection's transceivers while it creates the answer
 * (not at set-remote-description), and emits this from there, on its own
 * thread, before it writes the answer and before any jitter buffer, which
 * takes its do-retransmission from the transceiver, exists. Audio is left to
 * FEC and PLC, as browsers do. */
static void on_new_transceiver(GstElement *w, GstWebRTCRTPTransceiver *t, gpointer data)
{
    (void)w;
    (void)data;
    GstWebRTCKind kind = GST_WEBRTC_KIND_UNKNOWN;
    g_object_get(t, "kind", &kind, NULL);
    if (kind == GST_WEBRTC_KIND_VIDEO)
        g_object_set(t, "do-nack", TRUE, NULL);
}

/* repair_loss: webrtcbin's RTP session sizes its RTCP interval from the
 * session bandwidth, which a receive-only connection estimates near zero:
 * its RTCP then goes every ~0.7 s, and so may a NACK or PLI that missed its
 * one early packet per interval. A browser sends feedback at once; a bandwidth
 * worth of the media brings the interval down to ~0.1 s. Emitted on a
 * streaming thread, without the session's lock. */
#define PEER_RECEIVER_SESSION_BANDWIDTH 1000000.0
static void on_new_ssrc(GstElement *rtpbin, guint session, guint ssrc, gpointer data)
{
    (void)ssrc;
    (void)data;
    GObject *internal = NULL;
    g_signal_emit_by_name(rtpbin, "get-internal-session", session, &internal);
    if (internal)
        g_object_set(internal, "bandwidth", PEER_RECEIVER_SESSION_BANDWIDTH, NULL);
    g_clear_object(&internal);
}

static void main_answer(CgRtcPeer *peer, PeerPc *pc, gpointer data)
{
    (void)peer;
    (void)data;
    cg_rtc_peer_create_local(pc, "create-answer");
}

static void on_remote_set(GstPromise *promise, gpointer data)
{
    (void)promise;
    PcShared *sh = data;
    /* "sub-N" and the interpretation mix slot "mix" are the server's offers */
    if (g_str_has_prefix(sh->pc, "sub") || g_strcmp0(sh->pc, "mix") == 0)
        cg_rtc_peer_hop(sh, main_answer, NULL, NULL);
}

static void set_remote(PeerPc *pc, GstWebRTCSDPType type, const char *sdp)
{
    GstSDPMessage *msg = NULL;
    if (gst_sdp_message_new_from_text(sdp, &msg) != GST_SDP_OK) {
        g_message("rtc_peer %s: unparsable SDP", pc->name);
        return;
    }
    cg_rtc_peer_trace(pc->sh->ps, pc->name, "remote-%s from=%s",
                      type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer",
                      *pc->sh->label ? pc->sh->label : "-1");
    GstWebRTCSessionDescription *d = gst_webrtc_session_description_new(type, msg);
    GstPromise *p = gst_promise_new_with_change_func(on_remote_set, cg_rtc_peer_pcs_copy(pc->sh),
                                                     (GDestroyNotify)cg_rtc_peer_pcs_free);
    g_signal_emit_by_name(pc->webrtc, "set-remote-description", d, p);
    gst_promise_unref(p);
    gst_webrtc_session_description_free(d);
}

/* A new sub connection @pc_name answering the server's offer. */
static PeerPc *add_receiver(CgRtcPeer *peer, const char *pc_name, const char *label)
{
    g_autofree char *ename = g_strdup_printf("%s-webrtc", pc_name);
    GstElement *webrtc = gst_element_factory_make("webrtcbin", ename);
    if (peer->opt.jitter_latency_ms)
        g_object_set(webrtc, "latency", peer->opt.jitter_latency_ms, NULL);
    if (peer->opt.no_jitter_delay)
        g_object_set(webrtc, "latency", 0u, NULL);
    if (peer->opt.repair_loss)
        g_signal_connect(webrtc, "on-new-transceiver", G_CALLBACK(on_new_transceiver), NULL);
    g_autoptr(GstElement) rtpbin =
        peer->opt.repair_loss ? gst_bin_get_by_name(GST_BIN(webrtc), "rtpbin") : NULL;
    if (rtpbin)
        g_signal_connect(rtpbin, "on-new-ssrc", G_CALLBACK(on_new_ssrc), NULL);
    else if (peer->opt.repair_loss)
        g_warning("rtc_peer: no rtpbin in webrtcbin: RTCP keeps its default interval");
    if (peer->opt.lie_remb_bps)
        cg_rtc_peer_faults_lie_remb(webrtc, peer->opt.lie_remb_bps);
    PeerPc *pc = cg_rtc_peer_pc_add(peer, pc_name, label ? label : pc_name, webrtc);
    gst_bin_add(GST_BIN(peer->bin), webrtc);
    gst_element_sync_state_with_parent(webrtc);
    return pc;
}

void cg_rtc_peer_remote_description(CgRtcPeer *peer, const char *pc_name, const char *type,
                                    const char *sdp, const char *label)
{
    PeerPc *pc = g_hash_table_lookup(peer->pcs, pc_name);
    if (peer->frozen)
        return;
    if (g_strcmp0(type, "answer") == 0) {
        if (pc)
            set_remote(pc, GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
        return;
    }
    cg_rtc_peer_faults_note_offer(peer->faults, pc ? pc->sh->label : label, sdp);
    if (!pc)
        pc = add_receiver(peer, pc_name, label);
    set_remote(pc, GST_WEBRTC_SDP_TYPE_OFFER, sdp); /* or a renegotiation */
}
