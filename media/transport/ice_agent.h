/* ice_agent.h — the ICE transport of one WebRTC connection.
 *
 * A CgIceAgent owns one NiceAgent doing full ICE (RFC 8445, libnice's RFC 5245
 * mode) with trickle, for one stream with one component: the connection is
 * BUNDLEd and rtcp-mux'd, so every datagram (STUN, DTLS, SRTP, SRTCP) shares
 * one 5-tuple. It carries datagrams and nothing else; DTLS and SRTP are
 * media/transport/dtls_transport.h and media/transport/srtp.h.
 *
 * Hardening: UPnP off; candidates are
 * gathered only on the configured local addresses; optional port range and
 * STUN server; ICE-UDP always, ICE-TCP optional. Of the TCP candidates only the
 * passive ones are signalled (browsers offer active ones only, and ours would
 * carry port 9 and no information). Every remote candidate is checked with the
 * caller's CgAddressPolicy before libnice sees it, so a peer cannot make the
 * daemon probe addresses the policy refuses, and at most
 * CG_MEDIA_MAX_REMOTE_CANDIDATES are taken per ICE generation.
 *
 * Callbacks: all run on the GMainContext given to cg_ice_agent_new(), never
 * from inside a cg_ice_agent_*() call (libnice emits some signals from inside
 * its API calls; they are queued and delivered from an idle source). A
 * callback may call any function on the agent except cg_ice_agent_free():
 * freeing from inside a callback is not supported; free later from an idle.
 *
 * ICE restart: cg_ice_agent_restart() makes new local credentials, re-delivers
 * the local candidates and end-of-candidates, and (libnice's behaviour) forgets
 * the remote credentials: checks resume only once the caller gives the peer's
 * new ones with cg_ice_agent_set_remote_credentials(), then its candidates
 * (the count towards CG_MEDIA_MAX_REMOTE_CANDIDATES starts again) and
 * cg_ice_agent_remote_end_of_candidates(). libnice reports a restart as
 * CONNECTED -> GATHERING -> CONNECTING -> CONNECTED; cg_ice_agent_send()
 * refuses until it is CONNECTED again.
 *
 * Threads: one agent is used only by the thread that runs its GMainContext.
 * Nothing a peer sends (candidate lines, credentials, datagrams) reaches an
 * assert; g_return_if_fail guards programmer errors only.
 *
 * Errors are in CG_ICE_ERROR. No ICE password is ever logged.
 */
#pragma once

#include <glib.h>

#include "address_policy.h"
#include "media-limits.h"

G_BEGIN_DECLS

/* Limits on what a peer sends (RFC 8445 15.4 lengths). Remote candidates per
 * ICE generation: CG_MEDIA_MAX_REMOTE_CANDIDATES; bytes of one candidate line:
 * CG_MEDIA_MAX_CANDIDATE_BYTES (media-limits.h). */
#define CG_ICE_MIN_UFRAG_LEN 4u
#define CG_ICE_MIN_PWD_LEN 22u
#define CG_ICE_MAX_CREDENTIAL_LEN 256u
#define CG_ICE_MAX_DATAGRAM_BYTES 65535u /* largest datagram cg_ice_agent_send() takes */
#define CG_ICE_MAX_RETRANSMISSIONS 16u   /* bound of CgIceAgentConfig.check_retransmissions */

#define CG_ICE_ERROR (cg_ice_error_quark())
GQuark cg_ice_error_quark(void);

typedef enum {
    CG_ICE_ERROR_CONFIG,    /* the configuration is invalid (operator error) */
    CG_ICE_ERROR_MALFORMED, /* a candidate line or credential does not parse */
    CG_ICE_ERROR_REFUSED,   /* the candidate's address is refused by the address policy */
    CG_ICE_ERROR_LIMIT,     /* a CG_ICE_ / CG_MEDIA_ limit was exceeded */
    CG_ICE_ERROR_FAILED,    /* libnice refused a local operation */
} CgIceError;

typedef enum {
    CG_ICE_STATE_NEW,          /* created, nothing gathered yet */
    CG_ICE_STATE_GATHERING,    /* gathering local candidates */
    CG_ICE_STATE_CONNECTING,   /* connectivity checks running */
    CG_ICE_STATE_CONNECTED,    /* a pair works (libnice CONNECTED or READY) */
    CG_ICE_STATE_FAILED,       /* every pair failed (after remote end-of-candidates) */
    CG_ICE_STATE_DISCONNECTED, /* was connecting or connected, lost it */
} CgIceState;

/* Short lower-case name of @state, for logs. (transfer none) */
const char *cg_ice_state_name(CgIceState state);

typedef struct {
    /* NULL-terminated IP literals to gather on; required, non-empty. */
    const char *const *local_addresses;
    /* Local port range, both 0 for any port, else 0 < port_min <= port_max. */
    guint port_min;
    guint port_max;
    /* "IP:PORT" ("[IPv6]:PORT"; port defaults to 3478) or NULL. libnice does
     * not resolve names, so the host must be an IP literal. */
    const char *stun_server;
    /* Also gather (passive) ICE-TCP candidates. */
    gboolean ice_tcp;
    /* STUN retransmissions of one connectivity check before its pair fails
     * (libnice's "stun-max-retransmissions"); 0 for libnice's default, 7. Fewer
     * make an unreachable peer fail sooner. At most CG_ICE_MAX_RETRANSMISSIONS. */
    guint check_retransmissions;
    /* Tests only: no ICE-UDP at all (proves the ICE-TCP path on its own).
     * Needs ice_tcp. */
    gboolean tcp_only_for_testing;
    /* Which remote candidate addresses may be probed. Required; (transfer
     * none): must outlive the agent. */
    const CgAddressPolicy *policy;
} CgIceAgentConfig;

typedef struct {
    /* Required. One local candidate as an SDP a=candidate value
     * ("candidate:1 1 UDP 2015363327 192.0.2.7 50123 typ host"), borrowed. */
    void (*local_candidate)(gpointer user, const char *candidate);
    /* Optional. All local candidates have been delivered (a=end-of-candidates). */
    void (*local_candidates_done)(gpointer user);
    /* Optional. The state changed (never called twice with the same state). */
    void (*state_changed)(gpointer user, CgIceState state);
    /* Optional. One received datagram that is not ICE's own STUN, borrowed. */
    void (*receive)(gpointer user, const guint8 *datagram, gsize len);
} CgIceAgentCallbacks;

typedef struct _CgIceAgent CgIceAgent;

/* Returns (transfer full) an agent in CG_ICE_STATE_NEW, its NiceAgent created
 * on @context (borrowed; must outlive the agent; NULL means the global default
 * context), or NULL with @error (CG_ICE_ERROR_CONFIG) for an invalid @config.
 * @controlling: the offerer's agent is controlling. @config and @cb are copied
 * (the policy is borrowed); @user is passed to the callbacks. */
CgIceAgent *cg_ice_agent_new(const CgIceAgentConfig *config, gboolean controlling,
                             GMainContext *context, const CgIceAgentCallbacks *cb, gpointer user,
                             GError **error);
/* Stops everything and frees @agent (no callback). Safe with NULL. Not from
 * inside one of its callbacks. */
void cg_ice_agent_free(CgIceAgent *agent);

/* Tags log lines, e.g. "[consult|c-8d1e][ep|3][ice]"; copied. Default "[ice]". */
void cg_ice_agent_set_log_tag(CgIceAgent *agent, const char *tag);

/* Starts gathering; candidates arrive through local_candidate, then
 * local_candidates_done. Once only. FALSE with @error (CG_ICE_ERROR_FAILED) if
 * libnice cannot gather (e.g. a configured address is not on this host). */
gboolean cg_ice_agent_gather(CgIceAgent *agent, GError **error);

/* Our current ufrag and password, (transfer none): valid until the next
 * cg_ice_agent_restart() or free. */
void cg_ice_agent_local_credentials(CgIceAgent *agent, const char **ufrag, const char **pwd);

/* The peer's a=ice-ufrag and a=ice-pwd (copied). FALSE with @error
 * (CG_ICE_ERROR_MALFORMED) if either is not 4..256 resp. 22..256 ice-chars. */
gboolean cg_ice_agent_set_remote_credentials(CgIceAgent *agent, const char *ufrag, const char *pwd,
                                             GError **error);

/* Adds one trickled remote candidate: an a=candidate value ("candidate:...",
 * an "a=" prefix is accepted). FALSE with @error: CG_ICE_ERROR_LIMIT for a
 * line over CG_MEDIA_MAX_CANDIDATE_BYTES or one candidate more than
 * CG_MEDIA_MAX_REMOTE_CANDIDATES this ICE generation; CG_ICE_ERROR_MALFORMED
 * if it does not parse or is not for component 1; CG_ICE_ERROR_REFUSED,
 * naming the policy's reason, if its address may not be probed. */
gboolean cg_ice_agent_add_remote_candidate(CgIceAgent *agent, const char *candidate,
                                           GError **error);
/* The peer has sent all its candidates (a=end-of-candidates): from now on
 * running out of pairs is CG_ICE_STATE_FAILED. */
void cg_ice_agent_remote_end_of_candidates(CgIceAgent *agent);

/* Sends one datagram (borrowed) on the selected pair. Never blocks. FALSE if
 * not CG_ICE_STATE_CONNECTED, if @len is 0 or over CG_ICE_MAX_DATAGRAM_BYTES,
 * or if the socket refused it (the datagram is lost, as UDP may lose it). */
gboolean cg_ice_agent_send(CgIceAgent *agent, const guint8 *datagram, gsize len);

/* ICE restart (RFC 8445 9): new local credentials, the local candidates are
 * delivered again (from an idle), the remote credentials are forgotten. See the header comment.
 * FALSE with @error (CG_ICE_ERROR_FAILED) if libnice refuses, or before cg_ice_agent_gather(). */
gboolean cg_ice_agent_restart(CgIceAgent *agent, GError **error);

CgIceState cg_ice_agent_get_state(const CgIceAgent *agent);

/* Returns (transfer full) the selected pair for logs, e.g.
 * "udp 127.0.0.1:5000 -> 127.0.0.1:6000", or NULL if there is none. */
char *cg_ice_agent_selected_pair(CgIceAgent *agent);

/* Monotonic time (g_get_monotonic_time(), µs) of the last datagram handed to
 * the receive callback, or 0 if none yet: consultd's liveness timer reads it. */
gint64 cg_ice_agent_last_receive_us(const CgIceAgent *agent);

G_END_DECLS
