#include "address_policy.h"

#include <gio/gio.h>
#include <string.h>

struct _CgAddressPolicy {
    GPtrArray *allowed; /* GInetAddressMask */
};

/* Reserved ranges GInetAddress has no predicate for. */
static const struct {
    const char *network;
    const char *why;
} reserved[] = {
    {"0.0.0.0/8", "reserved"},
    {"100.64.0.0/10", "shared (carrier NAT)"},
    {"192.0.0.0/24", "reserved"},
    {"198.18.0.0/15", "reserved (benchmarking)"},
    {"240.0.0.0/4", "reserved"},
    {"fc00::/7", "private"},
    {"2001:db8::/32", "reserved (documentation)"},
    {"100::/64", "reserved (discard-only)"},
    /* Local-use NAT64 (RFC 8215): where the IPv4 address sits depends on the
     * operator's prefix length, so it cannot be judged; allowed only by
     * allowed_remote_networks. */
    {"64:ff9b:1::/48", "reserved (local-use NAT64)"},
};

CgAddressPolicy *cg_address_policy_new(const char *const *allowed_networks, GError **error)
{
    CgAddressPolicy *policy = g_new0(CgAddressPolicy, 1);
    policy->allowed = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; allowed_networks && allowed_networks[i]; i++) {
        GInetAddressMask *mask = g_inet_address_mask_new_from_string(allowed_networks[i], error);
        if (!mask) {
            cg_address_policy_free(policy);
            return NULL;
        }
        g_ptr_array_add(policy->allowed, mask);
    }
    return policy;
}

void cg_address_policy_free(CgAddressPolicy *policy)
{
    if (!policy)
        return;
    g_ptr_array_unref(policy->allowed);
    g_free(policy);
}

static gboolean in_network(GInetAddress *address, const char *network)
{
    g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string(network, NULL);
    return mask && g_inet_address_mask_matches(mask, address);
}

static const char *classify_one(GInetAddress *a)
{
    if (g_inet_address_get_is_any(a))
        return "unspecified";
    if (g_inet_address_get_is_loopback(a))
        return "loopback";
    if (g_inet_address_get_is_link_local(a))
        return "link-local";
    if (g_inet_address_get_is_site_local(a))
        return "private";
    if (g_inet_address_get_is_multicast(a) || in_network(a, "255.255.255.255/32"))
        return "multicast or broadcast";
    for (gsize i = 0; i < G_N_ELEMENTS(reserved); i++)
        if (in_network(a, reserved[i].network))
            return reserved[i].why;
    return NULL;
}

static gboolean allowed(const CgAddressPolicy *policy, GInetAddress *address)
{
    for (guint i = 0; i < policy->allowed->len; i++)
        if (g_inet_address_mask_matches(g_ptr_array_index(policy->allowed, i), address))
            return TRUE;
    return FALSE;
}

static GInetAddress *ipv4_at(const guint8 *bytes, gboolean inverted)
{
    guint8 v4[4];
    for (int i = 0; i < 4; i++)
        v4[i] = inverted ? (guint8)~bytes[i] : bytes[i];
    return g_inet_address_new_from_bytes(v4, G_SOCKET_FAMILY_IPV4);
}

static gboolean all_zero(const guint8 *bytes, gsize n)
{
    for (gsize i = 0; i < n; i++)
        if (bytes[i])
            return FALSE;
    return TRUE;
}

/* The IPv4 addresses (at most 2) that packets sent to IPv6 @a reach, because
 * @a embeds them: IPv4-mapped ::ffff:0:0/96, SIIT ::ffff:0:0:0/96,
 * IPv4-compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16 (bits 16..47) and
 * Teredo 2001::/32 (server in bits 32..63, client inverted in the last 32). */
static guint embedded_ipv4(GInetAddress *a, GInetAddress *out[2])
{
    if (g_inet_address_get_family(a) != G_SOCKET_FAMILY_IPV6)
        return 0;
    const guint8 *b = g_inet_address_to_bytes(a);
    static const guint8 nat64[12] = {0, 0x64, 0xff, 0x9b};
    if ((all_zero(b, 10) && b[10] == 0xff && b[11] == 0xff) ||
        (all_zero(b, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0) ||
        (all_zero(b, 12) && !(all_zero(b, 15) && b[15] <= 1)) || /* ::a.b.c.d, not :: or ::1 */
        memcmp(b, nat64, 12) == 0) {
        out[0] = ipv4_at(b + 12, FALSE);
        return 1;
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
        out[0] = ipv4_at(b + 2, FALSE);
        return 1;
    }
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
        out[0] = ipv4_at(b + 12, TRUE);
        out[1] = ipv4_at(b + 4, FALSE);
        return 2;
    }
    return 0;
}

static const char *classify(const CgAddressPolicy *policy, GInetAddress *a)
{
    /* An embedded IPv4 address is judged as IPv4 (also against the allowed
     * networks) before the IPv6 rules: ::ffff:127.0.0.1 is loopback. */
    GInetAddress *v4[2] = {NULL, NULL};
    guint n = embedded_ipv4(a, v4);
    const char *why = NULL;
    for (guint i = 0; i < n; i++) {
        if (!why && !allowed(policy, v4[i]))
            why = classify_one(v4[i]);
        g_object_unref(v4[i]);
    }
    return why ? why : classify_one(a);
}

const char *cg_address_policy_refusal(const CgAddressPolicy *policy, const char *ip)
{
    g_autoptr(GInetAddress) address = ip ? g_inet_address_new_from_string(ip) : NULL;
    if (!address)
        return "not an IP address";
    const char *why = classify(policy, address);
    if (!why || allowed(policy, address))
        return NULL;
    return why;
}

char *cg_candidate_address(const char *candidate)
{
    if (!candidate)
        return NULL;
    if (g_str_has_prefix(candidate, "a="))
        candidate += 2;
    if (!g_str_has_prefix(candidate, "candidate:"))
        return NULL;
    g_auto(GStrv) tok = g_strsplit(candidate, " ", 7);
    return g_strv_length(tok) >= 6 ? g_strdup(tok[4]) : NULL;
}
