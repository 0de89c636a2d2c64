/* first_start.c — first-start certificate and secrets. See first_start.h. */
#ifndef G_LOG_DOMAIN
#define G_LOG_DOMAIN "cg-daemon"
#endif

#include "first_start.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIO, BIO_free_all)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509_EXTENSION, X509_EXTENSION_free)

#define CERT_VALIDITY_S (365L * 24 * 3600)
#define CERT_BACKDATE_S (5L * 60) /* tolerate clients whose clock is a bit behind */
#define SECRET_RANDOM_MAX 1024
/* Room for trailing whitespace after a maximal secret. */
#define SECRET_READ_MAX (CG_FIRST_START_SECRET_MAX + 256)

GQuark cg_first_start_error_quark(void)
{
    return g_quark_from_static_string("cg-first-start-error-quark");
}

static gboolean set_crypto_error(GError **error, const char *what)
{
    char buf[256] = "unknown error";
    unsigned long e = ERR_get_error();
    if (e != 0)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    g_set_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_CRYPTO, "%s: %s", what, buf);
    return FALSE;
}

static gboolean set_io_error(GError **error, int err, const char *what, const char *path)
{
    g_set_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_IO, "%s %s: %s", what, path,
                g_strerror(err));
    return FALSE;
}

/* *exists = whether @path exists; FALSE + @error when that cannot be told. */
static gboolean path_exists(const char *path, gboolean *exists, GError **error)
{
    GStatBuf st;
    if (g_stat(path, &st) == 0) {
        *exists = TRUE;
        return TRUE;
    }
    if (errno == ENOENT) {
        *exists = FALSE;
        return TRUE;
    }
    return set_io_error(error, errno, "cannot check", path);
}

static gboolean make_parent_dir(const char *path, int mode, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_file_test(dir, G_FILE_TEST_IS_DIR))
        return TRUE;
    if (g_mkdir_with_parents(dir, mode) != 0)
        return set_io_error(error, errno, "cannot create directory", dir);
    return TRUE;
}

static void warn_if_shared(const char *path, mode_t mode)
{
    if (mode & (S_IRWXG | S_IRWXO))
        g_warning("%s is accessible by group or others (mode %04o); it holds a secret: "
                  "chmod 600 it",
                  path, (unsigned)(mode & 07777));
}

/* Writes @data to @path through a temporary file created with O_EXCL in the
 * same directory and renamed into place; the file ends with @mode. */
static gboolean write_file_atomic(const char *path, const void *data, gsize len, mode_t mode,
                                  GError **error)
{
    g_autofree char *tmp = g_strconcat(path, ".tmp-XXXXXX", NULL);
    int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        return set_io_error(error, errno, "cannot create", tmp);

    const char *p = data;
    gsize left = len;
    int err = 0;
    if (fchmod(fd, mode) != 0)
        err = errno;
    while (err == 0 && left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        p += n;
        left -= (gsize)n;
    }
    if (err == 0 && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && err == 0)
        err = errno;
    if (err == 0 && rename(tmp, path) != 0)
        err = errno;
    if (err != 0) {
        g_unlink(tmp);
        return set_io_error(error, err, "cannot write", path);
    }
    return TRUE;
}

static gboolean add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value, GError **error)
{
    g_autoptr(X509_EXTENSION) ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    if (ext == NULL || !X509_add_ext(cert, ext, -1))
        return set_crypto_error(error, "cannot add certificate extension");
    return TRUE;
}

static gboolean set_random_serial(X509 *cert, GError **error)
{
    unsigned char raw[8];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return set_crypto_error(error, "cannot draw a serial number");
    raw[0] &= 0x7f; /* positive */
    raw[0] |= 0x40; /* and never zero, always 63 bits */
    g_autoptr(BIGNUM) bn = BN_bin2bn(raw, sizeof raw, NULL);
    ASN1_INTEGER *serial = X509_get_serialNumber(cert);
    if (bn == NULL || BN_to_ASN1_INTEGER(bn, serial) == NULL)
        return set_crypto_error(error, "cannot set the serial number");
    return TRUE;
}

static X509 *make_certificate(EVP_PKEY *pkey, GError **error)
{
    g_autoptr(X509) cert = X509_new();
    if (cert == NULL || !X509_set_version(cert, X509_VERSION_3)) {
        set_crypto_error(error, "cannot create a certificate");
        return NULL;
    }
    if (!set_random_serial(cert, error))
        return NULL;

    X509_NAME *name = X509_get_subject_name(cert);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
                                    -1, -1, 0) ||
        !X509_set_issuer_name(cert, name) ||
        !X509_gmtime_adj(X509_getm_notBefore(cert), -CERT_BACKDATE_S) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert), CERT_VALIDITY_S) ||
        !X509_set_pubkey(cert, pkey)) {
        set_crypto_error(error, "cannot fill in the certificate");
        return NULL;
    }

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    if (!add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE", error) ||
        !add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature", error) ||
        !add_ext(cert, &ctx, NID_ext_key_usage, "serverAuth", error) ||
        !add_ext(cert, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1", error) ||
        !add_ext(cert, &ctx, NID_subject_key_identifier, "hash", error))
        return NULL;

    if (X509_sign(cert, pkey, EVP_sha256()) <= 0) {
        set_crypto_error(error, "cannot sign the certificate");
        return NULL;
    }
    return g_steal_pointer(&cert);
}

/* Copies a memory BIO's contents to @path, then wipes them. */
static gboolean write_bio(BIO *bio, const char *path, mode_t mode, GError **error)
{
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || data == NULL)
        return set_crypto_error(error, "cannot encode PEM");
    gboolean ok = write_file_atomic(path, data, (gsize)len, mode, error);
    OPENSSL_cleanse(data, (size_t)len);
    return ok;
}

static gboolean generate_pair(const char *cert_path, const char *key_path, GError **error)
{
    g_autoptr(EVP_PKEY) pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (pkey == NULL)
        return set_crypto_error(error, "cannot generate an EC P-256 key");
    g_autoptr(X509) cert = make_certificate(pkey, error);
    if (cert == NULL)
        return FALSE;

    g_autoptr(BIO) key_pem = BIO_new(BIO_s_mem());
    g_autoptr(BIO) cert_pem = BIO_new(BIO_s_mem());
    if (key_pem == NULL || cert_pem == NULL ||
        !PEM_write_bio_PrivateKey(key_pem, pkey, NULL, NULL, 0, NULL, NULL) ||
        !PEM_write_bio_X509(cert_pem, cert))
        return set_crypto_error(error, "cannot encode PEM");

    /* Key first: a pair with a missing certificate is reported, never used. */
    return write_bio(key_pem, key_path, 0600, error) && write_bio(cert_pem, cert_path, 0644, error);
}

gboolean cg_first_start_certificate(const char *cert_path, const char *key_path, GError **error)
{
    g_return_val_if_fail(cert_path != NULL && key_path != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    gboolean have_cert = FALSE, have_key = FALSE;
    if (!path_exists(cert_path, &have_cert, error) || !path_exists(key_path, &have_key, error))
        return FALSE;
    if (have_cert && have_key)
        return TRUE;
    if (have_cert || have_key) {
        g_set_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INCOMPLETE,
                    "%s exists but %s %s does not: provide both, or remove %s to have a "
                    "self-signed pair generated",
                    have_cert ? cert_path : key_path, have_cert ? "private key" : "certificate",
                    have_cert ? key_path : cert_path, have_cert ? cert_path : key_path);
        return FALSE;
    }

    if (!make_parent_dir(key_path, 0700, error) || !make_parent_dir(cert_path, 0755, error))
        return FALSE;
    if (!generate_pair(cert_path, key_path, error))
        return FALSE;
    g_message("generated a self-signed localhost certificate %s (key %s)", cert_path, key_path);
    return TRUE;
}

gboolean cg_first_start_secret_file(const char *path, gsize random_bytes, GError **error)
{
    g_return_val_if_fail(path != NULL, FALSE);
    g_return_val_if_fail(random_bytes > 0 && random_bytes <= SECRET_RANDOM_MAX, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    GStatBuf st;
    if (g_stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            g_set_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INVALID,
                        "%s is not a regular file", path);
            return FALSE;
        }
        warn_if_shared(path, st.st_mode);
        return TRUE;
    }
    if (errno != ENOENT)
        return set_io_error(error, errno, "cannot check", path);
    if (!make_parent_dir(path, 0700, error))
        return FALSE;

    unsigned char raw[SECRET_RANDOM_MAX];
    if (RAND_bytes(raw, (int)random_bytes) != 1)
        return set_crypto_error(error, "cannot draw random bytes");
    char *text = g_base64_encode(raw, random_bytes);
    OPENSSL_cleanse(raw, random_bytes);

    /* base64 -> base64url without padding, plus a newline. */
    gsize len = strlen(text);
    while (len > 0 && text[len - 1] == '=')
        len--;
    for (gsize i = 0; i < len; i++) {
        if (text[i] == '+')
            text[i] = '-';
        else if (text[i] == '/')
            text[i] = '_';
    }
    text[len++] = '\n'; /* overwrites a '=' or the terminating NUL: no NUL needed */
    gboolean ok = write_file_atomic(path, text, len, 0600, error);
    OPENSSL_cleanse(text, len);
    g_free(text);
    if (ok)
        g_message("generated secret file %s", path);
    return ok;
}

typedef struct {
    gsize len;
    char data[];
} SecretBuf;

static void secret_buf_free(gpointer p)
{
    SecretBuf *buf = p;
    OPENSSL_cleanse(buf->data, buf->len);
    g_free(buf);
}

/* Reads at most @cap bytes of @fd into @buf; *len = bytes read. */
static gboolean read_up_to(int fd, char *buf, gsize cap, gsize *len, const char *path,
                           GError **error)
{
    *len = 0;
    while (*len < cap) {
        ssize_t n = read(fd, buf + *len, cap - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return set_io_error(error, errno, "cannot read", path);
        if (n == 0)
            break;
        *len += (gsize)n;
    }
    return TRUE;
}

gboolean cg_first_start_read_secret(const char *path, GBytes **out, GError **error)
{
    g_return_val_if_fail(path != NULL && out != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return set_io_error(error, errno, "cannot open", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INVALID,
                    "%s is not a regular file", path);
        return FALSE;
    }
    warn_if_shared(path, st.st_mode);

    /* One byte more than allowed, to tell "exactly full" from "too long". */
    SecretBuf *buf = g_malloc(sizeof *buf + SECRET_READ_MAX + 1);
    buf->len = SECRET_READ_MAX + 1;
    gsize len = 0;
    gboolean ok = read_up_to(fd, buf->data, SECRET_READ_MAX + 1, &len, path, error);
    close(fd);

    while (ok && len > 0 && g_ascii_isspace(buf->data[len - 1]))
        len--;
    if (ok && len == 0) {
        g_set_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INVALID, "%s is empty", path);
        ok = FALSE;
    } else if (ok && len > CG_FIRST_START_SECRET_MAX) {
        g_set_error(error, CG_FIRST_START_ERROR, CG_FIRST_START_ERROR_INVALID,
                    "%s is longer than %d bytes", path, CG_FIRST_START_SECRET_MAX);
        ok = FALSE;
    }
    if (!ok) {
        secret_buf_free(buf);
        return FALSE;
    }
    *out = g_bytes_new_with_free_func(buf->data, len, secret_buf_free, buf);
    return TRUE;
}
