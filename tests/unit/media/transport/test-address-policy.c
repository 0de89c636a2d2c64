/* unit-address-policy: which remote candidate addresses consultd may probe. */
#include <glib.h>

#include <nice/address.h>

#include "address_policy.h"

static void test_refusals(void)
{
    static const struct {
        const char *ip;
        const char *why; /* NULL: allowed */
    } cases[] = {
        {"8.8.8.8", NULL},
        {"2606:4700::1111", NULL},
        {"203.0.114.7", NULL},
        {"127.0.0.1", "loopback"},
        {"127.3.2.1", "loopback"},
        {"::1", "loopback"},
        {"10.1.2.3", "private"},
        {"172.16.0.9", "private"},
        {"172.31.255.1", "private"},
        {"192.168.1.20", "private"},
        {"fd12:3456::1", "private"},
        {"169.254.169.254", "link-local"}, /* cloud metadata */
        {"fe80::1", "link-local"},
        {"0.0.0.0", "unspecified"},
        {"::", "unspecified"},
        {"224.0.0.251", "multicast or broadcast"},
        {"255.255.255.255", "multicast or broadcast"},
        {"100.64.1.1", "shared (carrier NAT)"},
        {"240.0.0.1", "reserved"},
        {"abcd-1234.local", "not an IP address"}, /* mDNS: never resolved */
        {"", "not an IP address"},
    };
    g_autoptr(GError) error = NULL;
    CgAddressPolicy *policy = cg_address_policy_new(NULL, &error);
    g_assert_no_error(error);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%s", cases[i].ip);
        g_assert_cmpstr(cg_address_policy_refusal(policy, cases[i].ip), ==, cases[i].why);
    }
    g_assert_cmpstr(cg_address_policy_refusal(policy, NULL), ==, "not an IP address");
    cg_address_policy_free(policy);
}

/* Finding 7: an IPv6 address that carries an IPv4 one (mapped, compatible,
 * SIIT, NAT64, 6to4, Teredo) reaches that IPv4 host, so it is judged as that
 * IPv4 address. Each row goes through libnice's own address parser too: what
 * libnice would probe must be refused whenever the text is.
 * Columns: candidate address text; libnice's reading of it (NULL: it refuses
 * the text); our verdict on the text; our verdict on libnice's reading. */
static const struct {
    const char *text;
    const char *nice;
    const char *why;
    const char *why_nice;
} embedded[] = {
    {"8.8.8.8", "8.8.8.8", NULL, NULL},
    {"10.0.0.1", "10.0.0.1", "private", "private"},
    {"2606:4700::1111", "2606:4700::1111", NULL, NULL},
    /* IPv4-mapped ::ffff:0:0/96 */
    {"::ffff:10.0.0.1", "::ffff:10.0.0.1", "private", "private"},
    {"::FFFF:a00:1", "::ffff:10.0.0.1", "private", "private"},
    {"0:0:0:0:0:ffff:192.168.1.1", "::ffff:192.168.1.1", "private", "private"},
    {"::ffff:127.0.0.1", "::ffff:127.0.0.1", "loopback", "loopback"},
    {"::ffff:169.254.169.254", "::ffff:169.254.169.254", "link-local", "link-local"},
    {"::ffff:100.64.0.1", "::ffff:100.64.0.1", "shared (carrier NAT)", "shared (carrier NAT)"},
    {"::ffff:0.0.0.0", "::ffff:0.0.0.0", "unspecified", "unspecified"},
    {"::ffff:224.0.0.251", "::ffff:224.0.0.251", "multicast or broadcast",
     "multicast or broadcast"},
    {"::ffff:8.8.8.8", "::ffff:8.8.8.8", NULL, NULL},
    /* IPv4-translated (SIIT) ::ffff:0:0:0/96 */
    {"::ffff:0:10.0.0.1", "::ffff:0:a00:1", "private", "private"},
    /* IPv4-compatible ::/96 (deprecated) */
    {"::10.0.0.1", "::10.0.0.1", "private", "private"},
    {"::127.0.0.1", "::127.0.0.1", "loopback", "loopback"},
    {"::169.254.169.254", "::169.254.169.254", "link-local", "link-local"},
    {"::8.8.8.8", "::8.8.8.8", NULL, NULL},
    /* NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) */
    {"64:ff9b::10.0.0.1", "64:ff9b::a00:1", "private", "private"},
    {"64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe", "link-local", "link-local"},
    {"64:ff9b::7f00:1", "64:ff9b::7f00:1", "loopback", "loopback"},
    {"64:ff9b::8.8.8.8", "64:ff9b::808:808", NULL, NULL},
    /* Local-use NAT64 64:ff9b:1::/48 (RFC 8215): the operator picks where
     * the IPv4 address sits, so the whole prefix is refused. */
    {"64:ff9b:1::8.8.8.8", "64:ff9b:1::808:808", "reserved (local-use NAT64)",
     "reserved (local-use NAT64)"},
    {"64:ff9b:1:a00:1::", "64:ff9b:1:a00:1::", "reserved (local-use NAT64)",
     "reserved (local-use NAT64)"},
    /* 6to4 2002::/16: the IPv4 address in bits 16..47 */
    {"2002:a00:1::1", "2002:a00:1::1", "private", "private"},
    {"2002:c0a8:101:1::2", "2002:c0a8:101:1::2", "private", "private"},
    {"2002:7f00:1::", "2002:7f00:1::", "loopback", "loopback"},
    {"2002:a9fe:a9fe::1", "2002:a9fe:a9fe::1", "link-local", "link-local"},
    {"2002:808:808::1", "2002:808:808::1", NULL, NULL},
    /* Teredo 2001::/32: server IPv4 in bits 32..63, client IPv4 XOR-ed with
     * ones in the last 32 bits (RFC 4380). */
    {"2001:0:4136:e378:8000:63bf:f5ff:fffe", "2001:0:4136:e378:8000:63bf:f5ff:fffe", "private",
     "private"},
    {"2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback",
     "loopback"},
    {"2001:0:4136:e378:8000:63bf:5601:5601", "2001:0:4136:e378:8000:63bf:5601:5601", "link-local",
     "link-local"},
    {"2001:0:a00:1:8000:63bf:f7f7:f7f7", "2001:0:a00:1:8000:63bf:f7f7:f7f7", "private", "private"},
    {"2001:0:4136:e378:8000:63bf:f7f7:f7f7", "2001:0:4136:e378:8000:63bf:f7f7:f7f7", NULL, NULL},
    /* Texts the two parsers read differently: the second check in
     * ice_agent.c judges libnice's reading. */
    {"127.000.0.1", "127.0.0.1", "not an IP address", "loopback"},
    {"0x7f.1", "127.0.0.1", "not an IP address", "loopback"},
    {"fe80::1%1", "fe80::1", "not an IP address", "link-local"},
    {"abcd-1234.local", NULL, "not an IP address", NULL},
};

static void test_embedded_ipv4_vs_libnice(void)
{
    CgAddressPolicy *policy = cg_address_policy_new(NULL, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(embedded); i++) {
        g_test_message("%s", embedded[i].text);
        g_autofree char *line =
            g_strdup_printf("candidate:1 1 UDP 2122252543 %s 50000 typ host", embedded[i].text);
        g_autofree char *address = cg_candidate_address(line);
        g_assert_cmpstr(address, ==, embedded[i].text);
        g_assert_cmpstr(cg_address_policy_refusal(policy, address), ==, embedded[i].why);

        NiceAddress nice;
        nice_address_init(&nice);
        gboolean parsed = nice_address_set_from_string(&nice, address);
        g_assert_cmpint(parsed, ==, embedded[i].nice != NULL);
        if (!parsed)
            continue;
        char text[NICE_ADDRESS_STRING_LEN];
        nice_address_to_string(&nice, text);
        g_assert_cmpstr(text, ==, embedded[i].nice);
        g_assert_cmpstr(cg_address_policy_refusal(policy, text), ==, embedded[i].why_nice);
    }
    cg_address_policy_free(policy);
}

static void test_allowed_networks(void)
{
    static const char *const lan[] = {"127.0.0.0/8", "10.20.0.0/16", NULL};
    g_autoptr(GError) error = NULL;
    CgAddressPolicy *policy = cg_address_policy_new(lan, &error);
    g_assert_no_error(error);
    g_assert_null(cg_address_policy_refusal(policy, "127.0.0.1"));
    g_assert_null(cg_address_policy_refusal(policy, "10.20.3.4"));
    g_assert_cmpstr(cg_address_policy_refusal(policy, "10.21.3.4"), ==, "private");
    /* An allowed IPv4 network covers the IPv6 forms that embed it. */
    g_assert_null(cg_address_policy_refusal(policy, "::ffff:10.20.3.4"));
    g_assert_null(cg_address_policy_refusal(policy, "64:ff9b::10.20.3.4"));
    g_assert_cmpstr(cg_address_policy_refusal(policy, "2002:a15:304::1"), ==, "private");
    g_assert_cmpstr(cg_address_policy_refusal(policy, "169.254.169.254"), ==, "link-local");
    cg_address_policy_free(policy);

    static const char *const bad[] = {"10.0.0.0/8", "lan", NULL};
    g_assert_null(cg_address_policy_new(bad, &error));
    g_assert_nonnull(error);
}

static void test_candidate_address(void)
{
    g_autofree char *a =
        cg_candidate_address("candidate:1 1 UDP 2122252543 192.168.1.5 50123 typ host");
    g_assert_cmpstr(a, ==, "192.168.1.5");
    g_autofree char *b =
        cg_candidate_address("a=candidate:2 1 TCP 1 10.0.0.1 9 typ host tcptype active");
    g_assert_cmpstr(b, ==, "10.0.0.1");
    g_assert_null(cg_candidate_address("candidate:1 1 UDP"));
    g_assert_null(cg_candidate_address("hello"));
    g_assert_null(cg_candidate_address(NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/address-policy/refusals", test_refusals);
    g_test_add_func("/address-policy/embedded-ipv4-vs-libnice", test_embedded_ipv4_vs_libnice);
    g_test_add_func("/address-policy/allowed-networks", test_allowed_networks);
    g_test_add_func("/address-policy/candidate-address", test_candidate_address);
    return g_test_run();
}
