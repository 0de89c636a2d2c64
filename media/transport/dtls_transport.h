/* dtls_transport.h — DTLS-SRTP over datagrams the caller carries (pure of I/O).
 *
 * The relay lets libnice carry the datagrams; this module only turns
 * them into a DTLS 1.2 handshake (RFC 6347) with the use_srtp extension
 * (RFC 5764) and hands out the exported SRTP master keys. It owns no socket, no
 * main loop and no thread: the caller feeds every received DTLS datagram to
 * cg_dtls_transport_receive(), is called back to send each outgoing one, and
 * drives the retransmission timer with cg_dtls_transport_timeout_us() and
 * cg_dtls_transport_handle_timeout(). (OpenSSL reads the clock for that timer
 * itself; OpenSSL 3.0 has no way to inject one.)
 *
 * Identity: one CgDtlsIdentity (ECDSA P-256 key, self-signed certificate) is
 * made once per process and shared, refcounted, by every transport. Its
 * fingerprint goes into our SDP's a=fingerprint.
 *
 * Invariants:
 *  - The peer must present a certificate (the server requests one too) whose
 *    digest equals the a=fingerprint given to cg_dtls_transport_new(); it is
 *    checked while the handshake runs and again when it completes. On mismatch
 *    the transport fails with CG_DTLS_ERROR_FINGERPRINT_MISMATCH and no key is
 *    ever exposed: cg_dtls_transport_srtp_keys() is TRUE only in
 *    CG_DTLS_STATE_CONNECTED, which is reached only after that check.
 *  - No session resumption, no renegotiation: every handshake shows the
 *    certificate.
 *  - Nothing a peer sends can reach an assert: garbage, truncated or oversize
 *    datagrams are dropped, and a datagram that does not look like DTLS
 *    (RFC 7983: first byte 20..63) never reaches OpenSSL.
 *  - Outgoing datagrams are at most CG_DTLS_MTU bytes, one send() per datagram.
 *  - The first retransmission comes after CG_DTLS_INITIAL_RTO_US, doubling up
 *    to CG_DTLS_MAX_RTO_US; after 12 unanswered retransmissions of one flight
 *    (OpenSSL's count; about 29 s) the transport fails with CG_DTLS_ERROR_TIMEOUT.
 *
 * Callbacks run only from inside cg_dtls_transport_start(), _receive(),
 * _handle_timeout() and _close(), after OpenSSL has returned (never from deep
 * inside it): first the datagrams (send), then at most one state change. A
 * callback may call the getters (_srtp_keys, _get_state, _timeout_us) but must
 * not call the other functions on the same transport, nor free it; free it
 * later (e.g. from an idle source).
 *
 * Threads: the identity may be shared between threads (atomic refcount,
 * immutable). One transport is used by one thread at a time.
 *
 * Errors are in CG_DTLS_ERROR. The caller maps FINGERPRINT_MISMATCH onto the
 * protocol's dtls_fingerprint_mismatch and the rest onto media_failed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Limits (they bound what a peer can make us hold or send). */
#define CG_DTLS_MTU 1200u                 /* largest datagram we send */
#define CG_DTLS_MAX_DATAGRAM_BYTES 16384u /* larger received datagrams are dropped */
#define CG_DTLS_MAX_FLIGHT_DATAGRAMS 32u  /* datagrams one call may emit; more fails (LIMIT) */
#define CG_DTLS_INITIAL_RTO_US 100000u    /* first retransmission timeout */
#define CG_DTLS_MAX_RTO_US 3200000u       /* backoff ceiling */

#define CG_DTLS_ERROR (cg_dtls_error_quark())
GQuark cg_dtls_error_quark(void);

typedef enum {
    CG_DTLS_ERROR_BAD_FINGERPRINT,      /* a=fingerprint missing, unknown hash or malformed */
    CG_DTLS_ERROR_FINGERPRINT_MISMATCH, /* the peer's certificate is not the SDP's */
    CG_DTLS_ERROR_HANDSHAKE,            /* the handshake or a record failed on our side */
    CG_DTLS_ERROR_PEER_ALERT,           /* the peer sent a fatal alert */
    CG_DTLS_ERROR_TIMEOUT,              /* the peer stopped answering during the handshake */
    CG_DTLS_ERROR_NO_SRTP,              /* handshake done but no SRTP profile agreed */
    CG_DTLS_ERROR_LIMIT,                /* a CG_DTLS_ limit was exceeded */
    CG_DTLS_ERROR_INTERNAL,             /* OpenSSL failed locally (allocation, key generation) */
} CgDtlsError;

/* TRUE if @datagram is a DTLS record by RFC 7983's demultiplexing rule (first
 * byte 20..63), as opposed to STUN (0..3), TURN channel data (64..79) or
 * RTP/RTCP (128..191). */
gboolean cg_dtls_is_dtls_record(const guint8 *datagram, gsize len);

/* ---- identity ---- */

typedef struct _CgDtlsIdentity CgDtlsIdentity;

/* Returns (transfer full) a new key pair and self-signed certificate (CN
 * "consultd", random serial, valid from a day ago for 30 days; browsers do not
 * check DTLS certificate validity, a daemon that runs longer may make a new
 * identity for new transports), or NULL with @error (CG_DTLS_ERROR_INTERNAL). */
CgDtlsIdentity *cg_dtls_identity_new(GError **error);
/* Returns (transfer full) @id with one more reference. */
CgDtlsIdentity *cg_dtls_identity_ref(CgDtlsIdentity *id);
/* Drops one reference; safe with NULL. */
void cg_dtls_identity_unref(CgDtlsIdentity *id);
/* (transfer none) The certificate's SHA-256 fingerprint in SDP form, upper-case
 * hex with colons; the a=fingerprint line is "sha-256 " followed by it. Valid as
 * long as @id. */
const char *cg_dtls_identity_fingerprint(const CgDtlsIdentity *id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgDtlsIdentity, cg_dtls_identity_unref)

/* ---- transport ---- */

typedef struct _CgDtlsTransport CgDtlsTransport;

typedef enum {
    CG_DTLS_ROLE_CLIENT, /* a=setup:active: we send the ClientHello */
    CG_DTLS_ROLE_SERVER, /* a=setup:passive: we wait for it */
} CgDtlsRole;

typedef enum {
    CG_DTLS_STATE_NEW,        /* created, not started */
    CG_DTLS_STATE_CONNECTING, /* started, handshake running */
    CG_DTLS_STATE_CONNECTED,  /* handshake done, fingerprint checked, keys available */
    CG_DTLS_STATE_CLOSED,     /* closed by either side (terminal) */
    CG_DTLS_STATE_FAILED,     /* fatal error (terminal) */
} CgDtlsState;

/* SRTP protection profiles; the values are RFC 5764/7714's IANA ids (as are
 * CgSrtpProfile's in srtp.h, so one converts to the other by a cast). */
typedef enum {
    CG_DTLS_SRTP_AES128_CM_SHA1_80 = 0x0001,
    CG_DTLS_SRTP_AES128_CM_SHA1_32 = 0x0002,
    CG_DTLS_SRTP_AEAD_AES_128_GCM = 0x0007,
} CgDtlsSrtpProfile;

#define CG_DTLS_SRTP_MAX_KEY_LEN 16u
#define CG_DTLS_SRTP_MAX_SALT_LEN 14u

/* SRTP master keys. "local" protects what we send, "remote" what we receive.
 * Secret: clear with cg_dtls_srtp_keys_clear() when done. */
typedef struct {
    CgDtlsSrtpProfile profile;
    gsize key_len;  /* 16 for every profile above */
    gsize salt_len; /* 14 for the AES-CM profiles, 12 for AES-GCM */
    guint8 local_key[CG_DTLS_SRTP_MAX_KEY_LEN];
    guint8 local_salt[CG_DTLS_SRTP_MAX_SALT_LEN];
    guint8 remote_key[CG_DTLS_SRTP_MAX_KEY_LEN];
    guint8 remote_salt[CG_DTLS_SRTP_MAX_SALT_LEN];
} CgDtlsSrtpKeys;

/* Wipes @keys (not optimised away). */
void cg_dtls_srtp_keys_clear(CgDtlsSrtpKeys *keys);

typedef struct {
    /* Required. Send one datagram (borrowed for the call). */
    void (*send)(gpointer user, const guint8 *datagram, gsize len);
    /* Optional. The handshake completed and the fingerprint matched; keys are
     * available. At most once. */
    void (*connected)(gpointer user);
    /* Optional. Fatal error (borrowed for the call); the transport is dead.
     * At most once; never after closed. */
    void (*failed)(gpointer user, const GError *error);
    /* Optional. The peer sent close_notify (we answered with ours). At most
     * once; never after failed. Not called for our own cg_dtls_transport_close. */
    void (*closed)(gpointer user);
} CgDtlsTransportCallbacks;

/* Returns (transfer full) a transport in CG_DTLS_STATE_NEW, or NULL with
 * @error: CG_DTLS_ERROR_BAD_FINGERPRINT if @remote_hash_func/@remote_fingerprint
 * (the peer's a=fingerprint, e.g. "sha-256" and "AB:CD:...", any case) are
 * missing, empty, name an unknown hash or are not hex pairs of its length;
 * CG_DTLS_ERROR_INTERNAL if OpenSSL fails. Takes a reference on @id; copies
 * @cb and both strings. @user is passed to the callbacks. Offers the
 * AES128_CM_SHA1_80 and _32 profiles, in that order, unless
 * cg_dtls_transport_set_srtp_profiles() says otherwise. */
CgDtlsTransport *cg_dtls_transport_new(CgDtlsIdentity *id, CgDtlsRole role,
                                       const char *remote_hash_func, const char *remote_fingerprint,
                                       const CgDtlsTransportCallbacks *cb, gpointer user,
                                       GError **error);
/* Frees @t without sending anything (no callback). Safe with NULL. */
void cg_dtls_transport_free(CgDtlsTransport *t);

/* Tags log lines, e.g. "[consult|c-8d1e][ep|3][dtls]"; copied. Default "[dtls]". */
void cg_dtls_transport_set_log_tag(CgDtlsTransport *t, const char *tag);

/* Replaces the offered SRTP profiles by @profiles (@n of them, most preferred
 * first; as server our order decides). Only in CG_DTLS_STATE_NEW. Returns FALSE
 * with @error (CG_DTLS_ERROR_INTERNAL) if OpenSSL refuses the list. AES-GCM is
 * opt-in (cheaper per packet): the relay offers it once its SRTP path uses it. */
gboolean cg_dtls_transport_set_srtp_profiles(CgDtlsTransport *t, const CgDtlsSrtpProfile *profiles,
                                             guint n, GError **error);

/* NEW -> CONNECTING. A client sends its ClientHello; a server waits for one.
 * Datagrams received before this are dropped. */
void cg_dtls_transport_start(CgDtlsTransport *t);

/* Feeds one received datagram (borrowed). Anything not DTLS, shorter than a
 * record header, over CG_DTLS_MAX_DATAGRAM_BYTES, or arriving when the
 * transport is not CONNECTING/CONNECTED is dropped; records that fail to
 * parse or authenticate are dropped by OpenSSL. Application data is dropped
 * too (this path carries no data channel). */
void cg_dtls_transport_receive(CgDtlsTransport *t, const guint8 *datagram, gsize len);

/* Microseconds until cg_dtls_transport_handle_timeout() should be called (0 if
 * due now), or -1 if no retransmission timer is running. */
gint64 cg_dtls_transport_timeout_us(CgDtlsTransport *t);
/* Retransmits the last flight if its timer expired (else does nothing); may
 * fail the transport with CG_DTLS_ERROR_TIMEOUT. */
void cg_dtls_transport_handle_timeout(CgDtlsTransport *t);

/* Sends close_notify if connected, and stops: -> CLOSED. Before the handshake
 * completes nothing can be sent (DTLS has no close during the handshake). No
 * callback but send. */
void cg_dtls_transport_close(CgDtlsTransport *t);

CgDtlsState cg_dtls_transport_get_state(const CgDtlsTransport *t);

/* In CG_DTLS_STATE_CONNECTED, fills @out with the negotiated profile and the
 * keys exported with label "EXTRACTOR-dtls_srtp" (RFC 5764 4.2) and returns
 * TRUE; otherwise wipes @out and returns FALSE. The caller owns the copy. */
gboolean cg_dtls_transport_srtp_keys(const CgDtlsTransport *t, CgDtlsSrtpKeys *out);

G_END_DECLS
