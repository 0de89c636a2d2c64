/* rtp_packet.h — RTP/RTCP wire formats for the relay (pure, zero-copy).
 *
 * Owns: demultiplexing of a datagram (RFC 7983, RFC 5761), a bounds-checked
 * view of an RTP header (RFC 3550) and its header extensions (RFC 8285), the
 * few payload facts the relay needs (RFC 6464 audio level, RFC 7741 VP8 key
 * frame start), receive statistics for receiver reports (RFC 3550 A.1, A.3,
 * A.8), an iterator and parsers over compound RTCP (RFC 3550, RFC 4585,
 * RFC 5104, REMB draft-alvestrand-rmcat-remb) and builders of the RTCP the
 * relay sends.
 *
 * Works on plaintext: after SRTP/SRTCP unprotect, before protect. The in-place
 * setters change bytes an SRTP tag covers, so a rewritten packet must be
 * protected again.
 *
 * Invariants: no allocation, no globals, no clock reads, no logging; every
 * struct here is caller-owned and may live on the stack. Views (CgRtpHeader,
 * CgRtcpPacket, CgRtcpIter, the pointers parsers return) borrow the caller's
 * buffer: (transfer none), valid while it is alive and unchanged. Nothing read
 * from the network can crash or assert: malformed input yields FALSE (parsers)
 * or 0 (builders); g_return_val_if_fail guards only programmer errors (NULL
 * out pointers, NULL buffers with a non-zero length). Builders return the
 * bytes written or 0 if the packet does not fit @cap; on 0 the buffer's
 * contents are unspecified. Any thread (no state).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Limits. Counts that the wire caps (5-bit RC/SC) use the wire's maximum;
 * the others bound what one packet makes the relay store or send. */
#define CG_RTP_HEADER_BYTES 12u         /* fixed RTP header */
#define CG_RTP_MAX_CSRCS 15u            /* CC is 4 bits */
#define CG_RTP_EXT_ONE_BYTE_MAX_ID 14u  /* RFC 8285: 15 is reserved */
#define CG_RTP_EXT_TWO_BYTE_MAX_ID 255u /* RFC 8285 two-byte form */
#define CG_RTCP_HEADER_BYTES 4u         /* V/P/count, PT, length */
#define CG_RTCP_MAX_REPORT_BLOCKS 31u   /* RC is 5 bits: per SR or RR parsed or built */
#define CG_RTCP_MAX_BYE_SSRCS 31u       /* SC is 5 bits */
#define CG_RTCP_MAX_NACK_SEQS 128u      /* lost seqs a parsed NACK yields / a built one takes */
#define CG_RTCP_MAX_FIR_ENTRIES 16u     /* FIR FCI entries kept from one packet */
#define CG_RTCP_MAX_REMB_SSRCS 16u      /* REMB SSRCs kept from one packet / built */
#define CG_RTCP_PLI_BYTES 12u           /* a built PLI */
#define CG_RTCP_FIR_BYTES 20u           /* a built FIR (one entry) */
#define CG_RTCP_NACK_MAX_BYTES (12u + 4u * CG_RTCP_MAX_NACK_SEQS)   /* built NACK */
#define CG_RTCP_REMB_MAX_BYTES (20u + 4u * CG_RTCP_MAX_REMB_SSRCS)  /* built REMB */
#define CG_RTCP_RR_MAX_BYTES (8u + 24u * CG_RTCP_MAX_REPORT_BLOCKS) /* built RR */

/* Demultiplexing ---------------------------------------------------------- */

typedef enum {
    CG_PACKET_UNKNOWN, /* anything else (ZRTP, TURN channel data, empty, ...) */
    CG_PACKET_STUN,    /* first byte 0..3 */
    CG_PACKET_DTLS,    /* first byte 20..63 */
    CG_PACKET_RTP,     /* first byte 128..191, second byte not 192..223 */
    CG_PACKET_RTCP,    /* first byte 128..191, second byte (M + PT) 192..223 */
} CgPacketKind;

/* What a datagram on a bundled, rtcp-mux socket is, from its first two bytes
 * only (RFC 7983 section 7, RFC 5761 section 4). It validates nothing: the
 * parsers below do. RTP/RTCP need at least two bytes. */
CgPacketKind cg_packet_classify(const guint8 *d, gsize len);

/* RTP ----------------------------------------------------------------------- */

#define CG_RTP_EXT_PROFILE_ONE_BYTE 0xBEDEu /* RFC 8285 4.2 */
#define CG_RTP_EXT_PROFILE_TWO_BYTE 0x1000u /* RFC 8285 4.3: 0x100 + 4 app bits */

/* A parsed RTP header: a view of @data, offsets into it. */
typedef struct {
    const guint8 *data; /* (transfer none) the packet parsed */
    gsize len;
    gboolean padding, extension, marker;
    guint8 payload_type; /* 0..127 */
    guint8 csrc_count;   /* CSRC i (i < csrc_count) at 12 + 4 i: cg_rtp_csrc() */
    guint16 sequence;
    guint32 timestamp;
    guint32 ssrc;
    guint16 ext_profile; /* 0 without an extension */
    gsize ext_offset;    /* extension data, after its 4-byte header (0 without one) */
    gsize ext_length;    /* its bytes: 4 x the length field */
    gsize payload_offset;
    gsize payload_length; /* padding removed */
    guint8 padding_length;
} CgRtpHeader;

/* Parses the RTP packet @d (@len bytes) into @out, checking version 2, the
 * CSRC list, the extension's length and the padding count against @len.
 * A second byte in the RTCP range (RFC 5761) is refused, so success implies
 * cg_packet_classify() == CG_PACKET_RTP. On FALSE, @out is zeroed. */
gboolean cg_rtp_parse(const guint8 *d, gsize len, CgRtpHeader *out);

/* CSRC number @index of @h, or 0 if @index >= csrc_count. */
guint32 cg_rtp_csrc(const CgRtpHeader *h, guint index);

/* Finds header extension element @id in @h, in the one-byte (profile 0xBEDE,
 * id 1..14) or two-byte (0x100X, id 1..255) form. @value: (out) (transfer
 * none) its bytes in the packet, not NUL-terminated (a mid is a string);
 * @value_len: (out) their count (0 is possible in the two-byte form). FALSE
 * if absent, another profile, or the block is malformed before the element. */
gboolean cg_rtp_extension_find(const CgRtpHeader *h, guint id, const guint8 **value,
                               gsize *value_len);

/* RFC 6464 client-to-mixer audio level in extension @ext_id (negotiated in
 * the SDP): @level: (out) 0..127, -dBov (127 is silence); @voice: (out)
 * (optional) the V flag. FALSE if the element is absent or empty. */
gboolean cg_rtp_audio_level(const CgRtpHeader *h, guint ext_id, guint8 *level, gboolean *voice);

/* In-place rewrites of the fixed header for forwarding. FALSE (nothing
 * written) if @d is shorter than 12 bytes or not version 2. */
gboolean cg_rtp_set_ssrc(guint8 *d, gsize len, guint32 ssrc);
gboolean cg_rtp_set_sequence(guint8 *d, gsize len, guint16 seq);
gboolean cg_rtp_set_timestamp(guint8 *d, gsize len, guint32 timestamp);
/* Keeps the marker bit. @pt must be 0..63 or 96..127: 64..95 would collide
 * with RTCP under rtcp-mux (a programmer error). */
gboolean cg_rtp_set_payload_type(guint8 *d, gsize len, guint8 pt);

/* Is this VP8 RTP payload (@payload: the RTP payload, descriptor first) the
 * first packet of a key frame? RFC 7741: S set, PID 0, and the P bit of the
 * VP8 payload header after the descriptor (with its optional X, I (7 or 15
 * bits), L, T/K fields) clear. FALSE if truncated. */
gboolean cg_rtp_vp8_is_keyframe_start(const guint8 *payload, gsize len);

/* Receive statistics --------------------------------------------------------- */

typedef struct {
    guint32 ssrc;           /* the reportee (media source) */
    guint8 fraction_lost;   /* since the previous report, in 1/256 */
    gint32 cumulative_lost; /* 24-bit signed on the wire */
    guint32 highest_seq;    /* extended highest sequence number received */
    guint32 jitter;         /* interarrival jitter, RTP timestamp units */
    guint32 lsr;            /* middle 32 bits of the last SR's NTP time */
    guint32 dlsr;           /* delay since that SR, 1/65536 s */
} CgRtcpReportBlock;

/* Per received SSRC: caller-owned, zero-initialise ({0}) before the first
 * packet. Fields are private; read them through the functions below. */
typedef struct {
    guint32 base_seq, cycles, bad_seq, received;
    guint32 expected_prior, received_prior;
    guint32 transit, jitter; /* jitter scaled by 16 (RFC 3550 A.8) */
    guint16 max_seq;
    guint8 started, have_transit;
} CgRtpRecvStats;

/* Accounts one received packet: sequence tracking per RFC 3550 A.1 (without
 * its probation: the relay only sees SRTP-authenticated packets) and jitter
 * per A.8. @arrival is the arrival time converted to @rtp_ts's clock (the
 * caller knows the clock rate; time is passed in). Returns FALSE if the packet
 * was not counted: the first of a large sequence jump (a second, consecutive
 * one restarts the counters, as a sender restart). */
gboolean cg_rtp_recv_stats_update(CgRtpRecvStats *s, guint16 seq, guint32 rtp_ts, guint32 arrival);
/* Extended highest sequence number so far (cycles << 16 | max). */
guint32 cg_rtp_recv_stats_extended_max(const CgRtpRecvStats *s);
/* Fills @out for @ssrc from @s (RFC 3550 A.3) and starts a new interval for
 * fraction_lost. @lsr/@dlsr: see cg_rtcp_ntp_middle(), cg_rtcp_dlsr_from_us(),
 * 0 if no SR was received. */
void cg_rtp_recv_stats_report(CgRtpRecvStats *s, guint32 ssrc, guint32 lsr, guint32 dlsr,
                              CgRtcpReportBlock *out);
/* LSR from an SR's 64-bit NTP time. */
guint32 cg_rtcp_ntp_middle(guint64 ntp_time);
/* DLSR from a delay in microseconds (saturates). */
guint32 cg_rtcp_dlsr_from_us(guint64 delay_us);

/* RTCP: iterating a compound packet ------------------------------------------ */

enum {
    CG_RTCP_TYPE_SR = 200,
    CG_RTCP_TYPE_RR = 201,
    CG_RTCP_TYPE_SDES = 202,
    CG_RTCP_TYPE_BYE = 203,
    CG_RTCP_TYPE_APP = 204,
    CG_RTCP_TYPE_RTPFB = 205, /* RFC 4585 transport-layer feedback */
    CG_RTCP_TYPE_PSFB = 206,  /* RFC 4585 payload-specific feedback */
};
enum {
    CG_RTCP_RTPFB_NACK = 1,  /* generic NACK, RFC 4585 6.2.1 */
    CG_RTCP_RTPFB_TWCC = 15, /* transport-wide congestion control */
    CG_RTCP_PSFB_PLI = 1,    /* RFC 4585 6.3.1 */
    CG_RTCP_PSFB_FIR = 4,    /* RFC 5104 4.3.1 */
    CG_RTCP_PSFB_AFB = 15,   /* application layer feedback: REMB */
};

/* One packet of a compound: a view into the datagram. */
typedef struct {
    guint8 type;        /* packet type, 192..223 */
    guint8 count;       /* RC, SC or FMT: the header's low five bits */
    gboolean padding;   /* only the last packet may be padded */
    guint32 ssrc;       /* first word after the header (sender SSRC of SR, RR, APP and
                         * feedback; first chunk or SSRC of SDES, BYE); 0 if none */
    const guint8 *body; /* (transfer none) after the 4-byte header, padding removed */
    gsize body_len;
    const guint8 *packet; /* (transfer none) the whole packet, header and padding */
    gsize packet_len;
} CgRtcpPacket;

/* Caller-owned iterator; fields are private. */
typedef struct {
    const guint8 *data;
    gsize len, offset;
    gboolean failed;
} CgRtcpIter;

/* Starts iterating the compound packet @d (borrowed for the iteration). */
void cg_rtcp_iter_init(CgRtcpIter *it, const guint8 *d, gsize len);
/* Yields the next packet in @out. FALSE at the end, or when the next packet
 * is malformed (not version 2, type outside 192..223, length past the
 * datagram, padding on a packet that is not last or larger than its body): then
 * cg_rtcp_iter_failed() is TRUE and the iteration stays over. Packets yielded
 * before a malformed one were well-formed; use cg_rtcp_validate() first to
 * act on a compound only if all of it is. The first packet need not be an
 * SR/RR (reduced-size RTCP, RFC 5506). */
gboolean cg_rtcp_iter_next(CgRtcpIter *it, CgRtcpPacket *out);
gboolean cg_rtcp_iter_failed(const CgRtcpIter *it);
/* TRUE if @d is one or more well-formed RTCP packets that tile it exactly. */
gboolean cg_rtcp_validate(const guint8 *d, gsize len);

/* RTCP: parsers of one packet. Each checks the type (and FMT) and every
 * length; FALSE if it is not that packet or malformed. On FALSE the counts in
 * @out are 0 and the rest is unspecified. SDES and APP have no parser: the
 * relay skips them. ------------------------------------------------------- */

typedef struct {
    guint32 ssrc;
    guint64 ntp_time; /* NTP timestamp, 32.32 fixed point */
    guint32 rtp_time, packet_count, octet_count;
    guint n_blocks;
    CgRtcpReportBlock blocks[CG_RTCP_MAX_REPORT_BLOCKS];
} CgRtcpSenderReport;

typedef struct {
    guint32 ssrc;
    guint n_blocks;
    CgRtcpReportBlock blocks[CG_RTCP_MAX_REPORT_BLOCKS];
} CgRtcpReceiverReport;

typedef struct {
    guint n_ssrcs;
    guint32 ssrcs[CG_RTCP_MAX_BYE_SSRCS];
    const guint8 *reason; /* (transfer none) (nullable) not NUL-terminated */
    gsize reason_len;
} CgRtcpBye;

typedef struct {
    guint32 sender_ssrc, media_ssrc;
    guint n_seqs;
    gboolean truncated;                  /* the packet named more than CG_RTCP_MAX_NACK_SEQS */
    guint16 seqs[CG_RTCP_MAX_NACK_SEQS]; /* in packet order; may repeat */
} CgRtcpNack;

typedef struct {
    guint32 ssrc;
    guint8 seq_nr; /* command sequence number */
} CgRtcpFirEntry;

typedef struct {
    guint32 sender_ssrc;
    guint n_entries;
    gboolean truncated;
    CgRtcpFirEntry entries[CG_RTCP_MAX_FIR_ENTRIES];
} CgRtcpFir;

typedef struct {
    guint32 sender_ssrc;
    guint64 bitrate; /* bits per second: mantissa << exponent, saturated */
    guint n_ssrcs;
    gboolean truncated; /* the packet listed more than CG_RTCP_MAX_REMB_SSRCS */
    guint32 ssrcs[CG_RTCP_MAX_REMB_SSRCS];
} CgRtcpRemb;

gboolean cg_rtcp_parse_sr(const CgRtcpPacket *p, CgRtcpSenderReport *out);
gboolean cg_rtcp_parse_rr(const CgRtcpPacket *p, CgRtcpReceiverReport *out);
gboolean cg_rtcp_parse_bye(const CgRtcpPacket *p, CgRtcpBye *out);
/* Generic NACK: each PID + BLP entry expands to PID and PID + 1 + i for each
 * BLP bit i set (modulo 2^16), kept up to CG_RTCP_MAX_NACK_SEQS. */
gboolean cg_rtcp_parse_nack(const CgRtcpPacket *p, CgRtcpNack *out);
/* PLI: @sender_ssrc, @media_ssrc: (out). */
gboolean cg_rtcp_parse_pli(const CgRtcpPacket *p, guint32 *sender_ssrc, guint32 *media_ssrc);
gboolean cg_rtcp_parse_fir(const CgRtcpPacket *p, CgRtcpFir *out);
gboolean cg_rtcp_parse_remb(const CgRtcpPacket *p, CgRtcpRemb *out);

typedef enum {
    CG_RTCP_FB_NONE, /* not RTPFB/PSFB, or too short to be one */
    CG_RTCP_FB_NACK,
    CG_RTCP_FB_TWCC, /* recognised only: forwarded, not parsed */
    CG_RTCP_FB_PLI,
    CG_RTCP_FB_FIR,
    CG_RTCP_FB_REMB,  /* AFB with the "REMB" identifier */
    CG_RTCP_FB_OTHER, /* another feedback message */
} CgRtcpFeedback;

/* Which feedback message @p is, for dispatch; the parsers still validate. */
CgRtcpFeedback cg_rtcp_feedback_kind(const CgRtcpPacket *p);

/* RTCP: builders into @buf (@cap bytes). A compound is their concatenation
 * (an RR first unless reduced-size RTCP was negotiated). ----------------- */

gsize cg_rtcp_build_pli(guint8 *buf, gsize cap, guint32 sender_ssrc, guint32 media_ssrc);
/* FIR for @media_ssrc with command sequence number @seq_nr: the caller keeps
 * one counter per media source and increments it per new request, not per
 * repetition (RFC 5104 4.3.1.1). */
gsize cg_rtcp_build_fir(guint8 *buf, gsize cap, guint32 sender_ssrc, guint32 media_ssrc,
                        guint8 seq_nr);
/* Generic NACK for @seqs (@n_seqs, 1..CG_RTCP_MAX_NACK_SEQS, oldest first for
 * the tightest packing; any order is correct), packed into PID + BLP entries.
 * 0 if @n_seqs is out of range or it does not fit. */
gsize cg_rtcp_build_nack(guint8 *buf, gsize cap, guint32 sender_ssrc, guint32 media_ssrc,
                         const guint16 *seqs, guint n_seqs);
/* REMB of @bitrate bits/s (rounded down to 18 bits of mantissa) for @ssrcs
 * (@n_ssrcs, 0..CG_RTCP_MAX_REMB_SSRCS). */
gsize cg_rtcp_build_remb(guint8 *buf, gsize cap, guint32 sender_ssrc, guint64 bitrate,
                         const guint32 *ssrcs, guint n_ssrcs);
/* Receiver report from @ssrc with @blocks (@n_blocks, 0..CG_RTCP_MAX_REPORT_BLOCKS);
 * cumulative_lost is clamped to 24 bits signed. */
gsize cg_rtcp_build_rr(guint8 *buf, gsize cap, guint32 ssrc, const CgRtcpReportBlock *blocks,
                       guint n_blocks);

G_END_DECLS
