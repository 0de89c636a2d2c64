/* srtp.h — SRTP and SRTCP packet protection for the relay (pure).
 *
 * RFC 3711 with the profiles DTLS-SRTP negotiates in browsers:
 * AES_CM_128_HMAC_SHA1_80 / _32 and AEAD_AES_128_GCM (RFC 7714), on OpenSSL
 * 3's EVP primitives. No MKI, key derivation rate 0, no SRTP header-extension
 * encryption (RFC 6904): exactly what WebRTC uses.
 *
 * A CgSrtp owns the session keys derived from one master key and salt, for one
 * direction: an OUTBOUND context only protects, an INBOUND one only
 * unprotects (DTLS-SRTP gives each direction its own master key, so the relay
 * holds two contexts per transport). Keys are derived and the OpenSSL
 * contexts keyed once, in cg_srtp_new(); a packet costs no allocation in this
 * module (OpenSSL 3.0's EVP_MD_CTX_copy_ex() itself mallocs once per copy, so
 * an HMAC-SHA1 packet costs two inside OpenSSL, a GCM one none:
 * tools/srtp-bench counts them).
 *
 * Per SSRC it keeps the highest SRTP index (ROC and sequence number, RFC 3711
 * 3.3.1), a replay window of CG_SRTP_REPLAY_WINDOW packets over it and, for
 * SRTCP, either the next index to send or a replay window over the received
 * ones. At most CG_SRTP_MAX_SSRCS streams; one more is CG_SRTP_ERROR_LIMIT.
 *
 * Invariants:
 *  - Only packets that authenticate change the state of an INBOUND context, so
 *    nothing a peer sends without the key can fill the SSRC table, move a
 *    window or the ROC.
 *  - An OUTBOUND context never protects two packets with the same index: a
 *    repeat, or one older than the window, is CG_SRTP_ERROR_REPLAYED (that
 *    would reuse keystream). SSRC state is never dropped, for the same reason;
 *    a stream that outlives the table needs a new master key.
 *  - Every function reads and writes only within the lengths it is given; any
 *    input from the network is answered with an error, never an assert. On
 *    failure the packet's bytes and the context are left as they were (short
 *    of CG_SRTP_ERROR_CRYPTO, an OpenSSL failure midway).
 *
 * Threads: a context is used by one thread at a time (no locks inside); no
 * globals besides OpenSSL's own.
 *
 * Errors (CG_SRTP_ERROR) cost an allocation only if @error is non-NULL; a hot
 * path that merely counts drops may pass NULL.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_SRTP_MAX_SSRCS 64u           /* streams (SSRCs) one context tracks */
#define CG_SRTP_REPLAY_WINDOW 128u      /* packets behind the highest one still accepted */
#define CG_SRTP_MAX_PACKET_BYTES 65535u /* longest packet accepted, protected or not */
#define CG_SRTP_MAX_RTP_OVERHEAD 16u    /* most bytes cg_srtp_protect() appends */
#define CG_SRTP_MAX_RTCP_OVERHEAD 20u   /* most bytes cg_srtcp_protect() appends */

#define CG_SRTP_ERROR (cg_srtp_error_quark())
GQuark cg_srtp_error_quark(void);

typedef enum {
    CG_SRTP_ERROR_BAD_KEY,     /* unknown profile, or a key or salt of the wrong length */
    CG_SRTP_ERROR_MALFORMED,   /* not an RTP/RTCP packet this module can parse */
    CG_SRTP_ERROR_AUTH_FAILED, /* the authentication tag does not match */
    CG_SRTP_ERROR_REPLAYED,    /* index seen before, or older than the replay window */
    CG_SRTP_ERROR_NO_ROOM,     /* the buffer has no room for the tag and trailer */
    CG_SRTP_ERROR_LIMIT,       /* CG_SRTP_MAX_SSRCS, or the key's index space is used up */
    CG_SRTP_ERROR_CRYPTO,      /* OpenSSL failed (out of memory, algorithm unavailable) */
} CgSrtpError;

/* Values are the DTLS-SRTP protection profile ids (RFC 5764, RFC 7714), as
 * SSL_get_selected_srtp_profile() reports them. */
typedef enum {
    CG_SRTP_PROFILE_AES128_CM_SHA1_80 = 0x0001, /* SRTP_AES128_CM_SHA1_80 */
    CG_SRTP_PROFILE_AES128_CM_SHA1_32 = 0x0002, /* SRTP_AES128_CM_SHA1_32 */
    CG_SRTP_PROFILE_AEAD_AES_128_GCM = 0x0007,  /* SRTP_AEAD_AES_128_GCM */
} CgSrtpProfile;

typedef enum {
    CG_SRTP_DIRECTION_OUTBOUND, /* packets we send: protect only */
    CG_SRTP_DIRECTION_INBOUND,  /* packets we receive: unprotect only */
} CgSrtpDirection;

typedef struct _CgSrtp CgSrtp;

/* Master key and salt lengths of @profile in bytes (16 and 14, or 16 and 12
 * for GCM), what DTLS-SRTP exports per direction; 0 for an unknown profile. */
gsize cg_srtp_profile_key_len(CgSrtpProfile profile);
gsize cg_srtp_profile_salt_len(CgSrtpProfile profile);

/* Returns (transfer full) a context for @direction that derives its session
 * keys from @master_key and @master_salt (copied; the caller may wipe its own
 * copies afterwards), or NULL with CG_SRTP_ERROR_BAD_KEY if the profile is
 * unknown or a length does not match it (CG_SRTP_ERROR_CRYPTO if OpenSSL
 * fails). Free with cg_srtp_free(). */
CgSrtp *cg_srtp_new(CgSrtpProfile profile, CgSrtpDirection direction, const guint8 *master_key,
                    gsize key_len, const guint8 *master_salt, gsize salt_len, GError **error);

/* Wipes the keys and frees @s (transfer full). NULL is allowed. */
void cg_srtp_free(CgSrtp *s);

/* Protects the RTP packet @packet[0..@len) in place (OUTBOUND only): encrypts
 * the payload and appends the tag, so @capacity (the buffer's size) must be at
 * least @len plus the profile's tag (at most CG_SRTP_MAX_RTP_OVERHEAD).
 * @packet is borrowed; on success *@out_len is the SRTP packet's length. */
gboolean cg_srtp_protect(CgSrtp *s, guint8 *packet, gsize len, gsize capacity, gsize *out_len,
                         GError **error);

/* Authenticates, checks for replay and decrypts the SRTP packet
 * @packet[0..@len) in place (INBOUND only). @packet is borrowed; on success
 * *@out_len is the RTP packet's length (the tag is dropped). */
gboolean cg_srtp_unprotect(CgSrtp *s, guint8 *packet, gsize len, gsize *out_len, GError **error);

/* Protects the (compound) RTCP packet @packet[0..@len) in place (OUTBOUND
 * only): encrypts everything after the sender's SSRC and appends the E flag,
 * the stream's next SRTCP index and the tag; @capacity must leave room for
 * them (at most CG_SRTP_MAX_RTCP_OVERHEAD). *@out_len as for
 * cg_srtp_protect(). */
gboolean cg_srtcp_protect(CgSrtp *s, guint8 *packet, gsize len, gsize capacity, gsize *out_len,
                          GError **error);

/* Authenticates, checks the SRTCP index for replay and decrypts
 * @packet[0..@len) in place (INBOUND only); *@out_len is the RTCP packet's
 * length. Packets without the E flag (unencrypted SRTCP) are refused as
 * CG_SRTP_ERROR_MALFORMED: this module always encrypts. */
gboolean cg_srtcp_unprotect(CgSrtp *s, guint8 *packet, gsize len, gsize *out_len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgSrtp, cg_srtp_free)

G_END_DECLS
