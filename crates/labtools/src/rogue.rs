//! Server certificates a terminal must refuse: self-signed, for another name, expired. The
//! last two are signed by the lab's real CA, so each fails for exactly one reason.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// The organisation `link::pki` puts in every name it makes; the CA's subject must be
/// rebuilt byte for byte to sign as it.
const ORGANISATION: &str = "posnet";

/// A certificate and its key, PEM.
pub struct Pem {
    pub cert: String,
    pub key: String,
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, ORGANISATION);
    dn.push(DnType::CommonName, common_name);
    dn
}

fn server_params(
    dns_name: &str,
    from: (i32, u8),
    to: (i32, u8),
) -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(dns_name);
    p.subject_alt_names = vec![SanType::DnsName(dns_name.try_into()?)];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = rcgen::date_time_ymd(from.0, from.1, 1);
    p.not_after = rcgen::date_time_ymd(to.0, to.1, 1);
    Ok(p)
}

fn ca_params(common_name: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(common_name);
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

/// A self-signed certificate for `dns_name`, valid now: only its issuer is wrong.
pub fn self_signed(dns_name: &str, year: i32) -> Result<Pem, rcgen::Error> {
    let key = KeyPair::generate()?;
    let cert = server_params(dns_name, (year - 1, 1), (year + 2, 1))?.self_signed(&key)?;
    Ok(Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// A certificate signed by the CA (`ca_name`, `ca_key_pem`) for `dns_name`, valid from
/// `from` (year, month) until `to`.
pub fn signed(
    ca_name: &str,
    ca_key_pem: &str,
    dns_name: &str,
    from: (i32, u8),
    to: (i32, u8),
) -> Result<Pem, rcgen::Error> {
    let ca_key = KeyPair::from_pem(ca_key_pem)?;
    let issuer = Issuer::new(ca_params(ca_name), ca_key);
    let key = KeyPair::generate()?;
    let cert = server_params(dns_name, from, to)?.signed_by(&key, &issuer)?;
    Ok(Pem {
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}
