/* peer_conn.h — one WebRTC connection of the relay.
 *
 * A CgPeerConn joins the three transports of one BUNDLEd, rtcp-mux'd WebRTC
 * connection: ICE (ice_agent.h) carries the datagrams, DTLS (dtls_transport.h)
 * authenticates the peer against its SDP's a=fingerprint and exports the keys,
 * SRTP (srtp.h) protects each packet. It knows nothing of routing: decrypted
 * RTP and RTCP go to the caller, who hands back what to send.
 *
 * Two kinds, as in media.h's vocabulary:
 *  - publish: the endpoint offered; cg_peer_conn_answer() takes its parsed
 *    offer and returns consultd's answer. consultd's ICE agent is controlled.
 *  - subscribe: consultd offers (cg_peer_conn_offer()) and takes the
 *    endpoint's answer (cg_peer_conn_accept_answer()). Its ICE agent controls.
 *
 * DTLS role: an answer of ours says passive unless the offer says passive, so
 * consultd is the DTLS server; our offers say actpass and the endpoint's
 * answer picks. As server the transport starts at once (it waits for the
 * ClientHello); as client it starts when ICE is first connected.
 *
 * Security invariant: no RTP or RTCP is delivered to the caller, and
 * cg_peer_conn_send_*() sends none, before the DTLS handshake has completed
 * with a certificate whose digest is the SDP's a=fingerprint. A mismatch
 * fails the connection with CG_MEDIA_ERROR_FINGERPRINT_MISMATCH; every other
 * fatal error (ICE failed, DTLS alert or timeout, peer closed) with
 * CG_MEDIA_ERROR_FAILED.
 *
 * Callbacks run on the GMainContext given in the config, never from inside a
 * cg_peer_conn_*() call. A callback may call any function on its connection
 * (and on others) except cg_peer_conn_free() on its own: free it later.
 *
 * Per packet (the hot path): one copy of the received datagram into the
 * connection's buffer, unprotect in place, the caller's callback; sending
 * protects the caller's buffer in place. No allocation either way.
 */
#pragma once

#include <glib.h>

#include "dtls_transport.h"
#include "ice_agent.h"
#include "sdp.h"
#include "media.h"

G_BEGIN_DECLS

/* Room a caller's send buffer needs past the packet: the SRTP/SRTCP trailer. */
#define CG_PEER_CONN_SEND_OVERHEAD 32u
/* Largest datagram a connection takes from or gives to the network. */
#define CG_PEER_CONN_MAX_PACKET 1500u

typedef struct _CgLeanConn CgPeerConn;

typedef struct {
    /* Required. A local candidate ("candidate:..."), or "" once all are out. */
    void (*local_candidate)(gpointer user, const char *candidate);
    /* Optional. DTLS is up and the fingerprint matched: media may flow. Once. */
    void (*connected)(gpointer user);
    /* Required. The connection is dead; at most once. @message borrowed. */
    void (*failed)(gpointer user, CgMediaError code, const char *message);
    /* Optional. One authenticated, decrypted RTP packet. @packet is the
     * connection's own buffer (borrowed, writable; @capacity bytes), valid for
     * the call: the caller may rewrite it and pass it to cg_peer_conn_send_rtp()
     * of another connection. */
    void (*rtp)(gpointer user, guint8 *packet, gsize len, gsize capacity);
    /* Optional. One authenticated, decrypted (compound) RTCP packet, same
     * terms as rtp. */
    void (*rtcp)(gpointer user, guint8 *packet, gsize len, gsize capacity);
} CgPeerConnCallbacks;

typedef struct {
    const CgIceAgentConfig *ice; /* copied by the ICE agent; its policy borrowed */
    CgDtlsIdentity *identity;    /* a reference is taken */
    GMainContext *context;       /* borrowed; NULL: the global default */
    const char *log_tag;         /* e.g. "[ep|3] pub"; copied */
} CgPeerConnConfig;

typedef enum {
    CG_PEER_CONN_PUBLISH,   /* the endpoint offers, we answer */
    CG_PEER_CONN_SUBSCRIBE, /* we offer, the endpoint answers */
} CgPeerConnKind;

/* Returns (transfer full) a connection whose ICE agent is gathering (its
 * candidates are delivered through local_candidate), or NULL with @error
 * (CG_MEDIA_ERROR_FAILED: bad config, no address to gather on). */
CgPeerConn *cg_peer_conn_new(const CgPeerConnConfig *config, CgPeerConnKind kind,
                             const CgPeerConnCallbacks *cb, gpointer user, GError **error);
/* Stops everything without telling the peer anything but a DTLS close_notify,
 * and frees @conn (no callback). Safe with NULL. */
void cg_peer_conn_free(CgPeerConn *conn);

/* Publish only, once: takes the endpoint's parsed @offer (its ICE credentials,
 * fingerprint, DTLS role and candidates) and returns (transfer full)
 * consultd's answer SDP, or NULL with @error (BAD_SDP, FAILED). */
char *cg_peer_conn_answer(CgPeerConn *conn, const CgSdp *offer, GError **error);

/* Subscribe only, once: returns (transfer full) consultd's offer relaying
 * @publisher (its parsed publish offer) named by @relay, or NULL with @error. */
char *cg_peer_conn_offer(CgPeerConn *conn, const CgSdp *publisher, const CgSdpRelay *relay,
                         GError **error);
/* Subscribe only, once, after cg_peer_conn_offer(): checks the endpoint's
 * parsed @answer against our offer and fills @accepted (CG_MEDIA_MAX_MLINES
 * entries, nullable) as cg_sdp_check_answer() does; its fingerprint
 * becomes the one the DTLS handshake must show. FALSE with @error (BAD_SDP). */
gboolean cg_peer_conn_accept_answer(CgPeerConn *conn, const CgSdp *answer, CgSdpAccepted *accepted,
                                    GError **error);

/* ICE restart (RFC 8445 9), the DTLS association and SRTP keys kept.
 * Publish: the endpoint's new @offer (same media, new ICE credentials, the
 * same a=fingerprint) is answered with consultd's new credentials; returns
 * (transfer full) that answer. Subscribe: returns (transfer full) a new
 * offer with new credentials, whose answer goes to
 * cg_peer_conn_accept_answer() again. The local candidates are delivered
 * again (after the call returns). NULL with @error (BAD_SDP: the fingerprint
 * changed, or nothing usable; FAILED: libnice refused). Media resumes when
 * ICE is connected again. */
char *cg_peer_conn_restart_answer(CgPeerConn *conn, const CgSdp *offer, GError **error);
char *cg_peer_conn_restart_offer(CgPeerConn *conn, const CgSdp *publisher, const CgSdpRelay *relay,
                                 GError **error);

/* Renegotiation without an ICE restart (media added or stopped, e.g. a
 * screen share): the same as the two above with the ICE agent, its
 * credentials and its pair untouched. The publish side needs the offer's ICE
 * credentials unchanged (the caller tells a restart from a renegotiation). */
char *cg_peer_conn_renegotiate_answer(CgPeerConn *conn, const CgSdp *offer, GError **error);
char *cg_peer_conn_renegotiate_offer(CgPeerConn *conn, const CgSdp *publisher,
                                     const CgSdpRelay *relay, GError **error);

/* A trickled remote candidate; "" = end of candidates. Before the remote
 * description they are kept (up to CG_MEDIA_MAX_REMOTE_CANDIDATES) and added
 * with it. FALSE with @error (LIMIT, BAD_SDP for a malformed or refused line). */
gboolean cg_peer_conn_add_remote_candidate(CgPeerConn *conn, const char *candidate, GError **error);

/* Protects @packet (@len bytes of plaintext RTP or RTCP in a buffer of
 * @capacity >= @len + CG_PEER_CONN_SEND_OVERHEAD) in place and sends it. FALSE
 * (nothing sent) if the connection is not up, or the packet is refused. */
gboolean cg_peer_conn_send_rtp(CgPeerConn *conn, guint8 *packet, gsize len, gsize capacity);
gboolean cg_peer_conn_send_rtcp(CgPeerConn *conn, guint8 *packet, gsize len, gsize capacity);

/* Subscribe: our offer as parsed back (its m-lines' kinds, in order), or
 * NULL before cg_peer_conn_offer(). (transfer none) */
const CgSdp *cg_peer_conn_own_offer(const CgPeerConn *conn);

/* DTLS up, fingerprint checked, ICE connected now. */
gboolean cg_peer_conn_is_up(const CgPeerConn *conn);
/* Monotonic µs of the last authenticated datagram (an
 * SRTP or SRTCP packet that unprotected), 0 if none yet. */
gint64 cg_peer_conn_last_authenticated_us(const CgPeerConn *conn);

typedef struct {
    guint64 rtp_in, rtcp_in, rtp_out, rtcp_out; /* packets */
    guint64 bytes_in, bytes_out;                /* datagram bytes */
    guint64 dropped_in;                         /* failed to unprotect, or before DTLS */
} CgPeerConnCounters;
void cg_peer_conn_counters(const CgPeerConn *conn, CgPeerConnCounters *out);

G_END_DECLS
