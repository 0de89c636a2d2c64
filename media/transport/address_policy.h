/* address_policy.h — which remote ICE candidate addresses consultd may send
 * connectivity checks to.
 *
 * A client names the addresses consultd's ICE agent will probe. Left alone,
 * that lets anyone with a join link make the daemon send packets to hosts
 * inside the hospital or to a cloud metadata service. Loopback, link-local
 * (which includes 169.254.169.254), private (RFC 1918, fc00::/7), shared
 * (100.64.0.0/10), unspecified, multicast and other reserved addresses are
 * refused unless they fall inside one of the configured networks. An IPv6
 * address that embeds an IPv4 one (mapped, compatible, SIIT, NAT64 64:ff9b::/96,
 * 6to4, Teredo) is judged as that IPv4 address too, since packets sent to it
 * reach that IPv4 host; local-use NAT64 (64:ff9b:1::/48) is refused.
 *
 * Pure; any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CgAddressPolicy CgAddressPolicy;

/* @allowed_networks: NULL-terminated "ADDRESS/PREFIX" strings (may be NULL or
 * empty). Returns (transfer full) or NULL + @error for a malformed network. */
CgAddressPolicy *cg_address_policy_new(const char *const *allowed_networks, GError **error);
void cg_address_policy_free(CgAddressPolicy *policy);

/* NULL if @ip may be probed; otherwise (transfer none) why not, e.g.
 * "loopback", "private", "link-local", "not an IP address". */
const char *cg_address_policy_refusal(const CgAddressPolicy *policy, const char *ip);

/* The address of an ICE candidate line ("candidate:F C PROTO PRIO ADDR PORT
 * typ ..."), or NULL if it has none. (transfer full) */
char *cg_candidate_address(const char *candidate);

G_END_DECLS
