//! A small PKI for tests and the demo, made with rcgen: one CA, server certificates for DNS
//! names and IP addresses, and a client certificate per terminal (terminal id in the subject
//! common name and as the URI `urn:posnet:terminal:<id>`).
//!
//! On disk (see [`PkiDir`]): `ca.pem`/`ca.key`, `server.pem`/`server.key` and
//! `terminals/<id>.pem`/`terminals/<id>.key`. Keys are PKCS#8 PEM written with mode 0600.
//! Private keys are held in zeroizing buffers and never printed.

use std::fmt;
use std::fs;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

use crate::civil;
use crate::der::{self, DerError};
use crate::identity::{self, IdentityError};

/// The organisation name in every certificate this PKI makes.
const ORGANISATION: &str = "posnet";
/// Certificates are valid from January 1st of the year they are made for this many years.
const VALIDITY_YEARS: i64 = 10;

/// Why a certificate could not be made, written or read.
#[derive(Debug, Error)]
pub enum PkiError {
    #[error("making the {what}: {source}")]
    Generate {
        what: &'static str,
        source: rcgen::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: no {what} in PEM: {detail}", path.display())]
    Pem {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
    #[error("{}: {source}", path.display())]
    Der { path: PathBuf, source: DerError },
    #[error("{}: the CA key does not belong to the CA certificate", path.display())]
    KeyMismatch { path: PathBuf },
    #[error("{}: the CA certificate's subject is not one this PKI makes", path.display())]
    ForeignCa { path: PathBuf },
    #[error("server name {name:?} is neither an IP address nor a DNS name")]
    BadServerName { name: String },
    #[error("a server certificate needs at least one DNS name or IP address")]
    NoServerNames,
    #[error(transparent)]
    Terminal(#[from] IdentityError),
}

fn generate_err(what: &'static str) -> impl FnOnce(rcgen::Error) -> PkiError {
    move |source| PkiError::Generate { what, source }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PkiError + '_ {
    move |source| PkiError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The parameters of a posnet CA named `common_name`. Rebuilt identically when a CA is
/// loaded, since signing needs the issuer's name and key usages as they were made.
fn ca_params(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, ORGANISATION);
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params);
    params
}

fn set_validity(params: &mut CertificateParams) {
    let year = civil::from_unix_s(civil::now_unix_s()).year;
    let from = i32::try_from(year).unwrap_or(2000).clamp(1970, 9000);
    params.not_before = rcgen::date_time_ymd(from, 1, 1);
    params.not_after = rcgen::date_time_ymd(from + VALIDITY_YEARS as i32, 1, 1);
}

fn leaf_params(
    common_name: &str,
    sans: Vec<SanType>,
    usage: ExtendedKeyUsagePurpose,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::OrganizationName, ORGANISATION);
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.subject_alt_names = sans;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params);
    params
}

/// A certificate authority: its certificate and signing key.
pub struct Authority {
    common_name: String,
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    key: Zeroizing<KeyPair>,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority")
            .field("common_name", &self.common_name)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// A new CA with a fresh P-256 key.
    pub fn generate(common_name: &str) -> Result<Authority, PkiError> {
        let key = Zeroizing::new(KeyPair::generate().map_err(generate_err("CA key"))?);
        let cert = ca_params(common_name)
            .self_signed(&*key)
            .map_err(generate_err("CA certificate"))?;
        Ok(Authority {
            common_name: common_name.to_owned(),
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key,
        })
    }

    pub fn common_name(&self) -> &str {
        &self.common_name
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    fn issue(&self, params: CertificateParams, what: &'static str) -> Result<Issued, PkiError> {
        let key = Zeroizing::new(KeyPair::generate().map_err(generate_err(what))?);
        let issuer = Issuer::new(ca_params(&self.common_name), &*self.key);
        let cert = params
            .signed_by(&*key, &issuer)
            .map_err(generate_err(what))?;
        Ok(Issued {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            key_pem: Zeroizing::new(key.serialize_pem()),
        })
    }

    /// A server certificate for `names`: each is an IP address if it parses as one,
    /// otherwise a DNS name. The first name is also the subject common name.
    pub fn issue_server(&self, names: &[&str]) -> Result<Issued, PkiError> {
        let first = names.first().ok_or(PkiError::NoServerNames)?;
        let mut sans = Vec::with_capacity(names.len());
        for name in names {
            sans.push(match name.parse::<IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => {
                    SanType::DnsName((*name).try_into().map_err(|_| PkiError::BadServerName {
                        name: (*name).to_owned(),
                    })?)
                }
            });
        }
        self.issue(
            leaf_params(first, sans, ExtendedKeyUsagePurpose::ServerAuth),
            "server certificate",
        )
    }

    /// A client certificate for a terminal (field 41): common name and SAN URI.
    pub fn issue_terminal(&self, terminal_id: &str) -> Result<Issued, PkiError> {
        let uri = identity::terminal_uri(terminal_id)?;
        let uri = uri
            .try_into()
            .map_err(generate_err("terminal certificate URI"))?;
        self.issue(
            leaf_params(
                terminal_id,
                vec![SanType::URI(uri)],
                ExtendedKeyUsagePurpose::ClientAuth,
            ),
            "terminal certificate",
        )
    }

    /// Writes `ca.pem` and `ca.key` (mode 0600) into `dir`, creating it (mode 0700).
    pub fn write(&self, dir: &Path) -> Result<(), PkiError> {
        let layout = PkiDir::new(dir);
        create_private_dir(dir)?;
        write_public(&layout.ca_cert(), self.cert_pem.as_bytes())?;
        let key_pem = Zeroizing::new(self.key.serialize_pem());
        write_private(&layout.ca_key(), key_pem.as_bytes())
    }

    /// Reads a CA written by [`Authority::write`], checking that the key belongs to the
    /// certificate and that the certificate is one this PKI makes (so it can sign again).
    pub fn load(dir: &Path) -> Result<Authority, PkiError> {
        let layout = PkiDir::new(dir);
        let cert_path = layout.ca_cert();
        let cert_der = load_certs(&cert_path)?
            .into_iter()
            .next()
            .ok_or_else(|| PkiError::Pem {
                path: cert_path.clone(),
                what: "certificate",
                detail: "empty".into(),
            })?;
        let key_path = layout.ca_key();
        let key_pem = Zeroizing::new(fs::read_to_string(&key_path).map_err(io_err(&key_path))?);
        let key = Zeroizing::new(KeyPair::from_pem(&key_pem).map_err(|e| PkiError::Pem {
            path: key_path.clone(),
            what: "private key",
            detail: e.to_string(),
        })?);
        let names = der::cert_names(&cert_der).map_err(|source| PkiError::Der {
            path: cert_path.clone(),
            source,
        })?;
        let common_name =
            names
                .common_names
                .first()
                .cloned()
                .ok_or_else(|| PkiError::ForeignCa {
                    path: cert_path.clone(),
                })?;
        let rebuilt = ca_params(&common_name)
            .self_signed(&*key)
            .map_err(generate_err("CA certificate check"))?;
        let rebuilt_names = der::cert_names(rebuilt.der()).map_err(|source| PkiError::Der {
            path: cert_path.clone(),
            source,
        })?;
        if rebuilt_names.spki_raw != names.spki_raw {
            return Err(PkiError::KeyMismatch { path: key_path });
        }
        if rebuilt_names.subject_raw != names.subject_raw {
            return Err(PkiError::ForeignCa { path: cert_path });
        }
        let cert_pem = fs::read_to_string(&cert_path).map_err(io_err(&cert_path))?;
        Ok(Authority {
            common_name,
            cert_pem,
            cert_der,
            key,
        })
    }
}

/// A certificate issued by an [`Authority`], with its private key.
pub struct Issued {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    key_pem: Zeroizing<String>,
}

impl fmt::Debug for Issued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issued")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl Issued {
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert_der
    }

    /// Writes `<stem>.pem` and `<stem>.key` (mode 0600) into `dir`, creating it (mode 0700).
    pub fn write(&self, dir: &Path, stem: &str) -> Result<(), PkiError> {
        create_private_dir(dir)?;
        write_public(&dir.join(format!("{stem}.pem")), self.cert_pem.as_bytes())?;
        write_private(&dir.join(format!("{stem}.key")), self.key_pem.as_bytes())
    }

    /// The certificate and key as rustls takes them.
    pub fn identity(&self) -> Result<Identity, PkiError> {
        let key =
            PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(|e| PkiError::Pem {
                path: PathBuf::from("(memory)"),
                what: "private key",
                detail: e.to_string(),
            })?;
        Ok(Identity {
            chain: vec![self.cert_der.clone()],
            key,
        })
    }
}

/// A certificate chain and its private key, for a TLS server or a client that authenticates.
/// The key is zeroized on drop and never printed.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Drop for Identity {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl Identity {
    /// Reads a certificate chain (PEM, leaf first) and a private key (PEM).
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Identity, PkiError> {
        let chain = load_certs(cert_path)?;
        let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| PkiError::Pem {
            path: key_path.to_owned(),
            what: "private key",
            detail: e.to_string(),
        })?;
        Ok(Identity { chain, key })
    }

    /// A copy of the key to hand to rustls (which keeps its own parsed form).
    pub fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }
}

/// Reads every certificate in a PEM file (at least one).
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let pem_err = |detail: String| PkiError::Pem {
        path: path.to_owned(),
        what: "certificate",
        detail,
    };
    let bytes = fs::read(path).map_err(io_err(path))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(e.to_string()))?;
    if certs.is_empty() {
        return Err(pem_err("no CERTIFICATE section".into()));
    }
    Ok(certs)
}

/// Where the files of a PKI directory live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiDir {
    pub dir: PathBuf,
}

impl PkiDir {
    pub fn new(dir: &Path) -> PkiDir {
        PkiDir {
            dir: dir.to_owned(),
        }
    }

    pub fn ca_cert(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    pub fn ca_key(&self) -> PathBuf {
        self.dir.join("ca.key")
    }

    pub fn server_cert(&self) -> PathBuf {
        self.dir.join("server.pem")
    }

    pub fn server_key(&self) -> PathBuf {
        self.dir.join("server.key")
    }

    pub fn terminals(&self) -> PathBuf {
        self.dir.join("terminals")
    }

    pub fn terminal_cert(&self, terminal_id: &str) -> PathBuf {
        self.terminals().join(format!("{terminal_id}.pem"))
    }

    pub fn terminal_key(&self, terminal_id: &str) -> PathBuf {
        self.terminals().join(format!("{terminal_id}.key"))
    }

    /// Makes a whole demo PKI in this directory: a CA named `ca_name`, a server certificate
    /// for `server_names` and one client certificate per terminal id.
    pub fn create(
        &self,
        ca_name: &str,
        server_names: &[&str],
        terminal_ids: &[&str],
    ) -> Result<Authority, PkiError> {
        let ca = Authority::generate(ca_name)?;
        ca.write(&self.dir)?;
        ca.issue_server(server_names)?.write(&self.dir, "server")?;
        for id in terminal_ids {
            self.add_terminal(&ca, id)?;
        }
        Ok(ca)
    }

    /// Issues and writes one more terminal's certificate.
    pub fn add_terminal(&self, ca: &Authority, terminal_id: &str) -> Result<(), PkiError> {
        ca.issue_terminal(terminal_id)?
            .write(&self.terminals(), terminal_id)
    }

    /// The server's certificate and key.
    pub fn server_identity(&self) -> Result<Identity, PkiError> {
        Identity::load(&self.server_cert(), &self.server_key())
    }

    /// A terminal's certificate and key.
    pub fn terminal_identity(&self, terminal_id: &str) -> Result<Identity, PkiError> {
        identity::check_terminal_id(terminal_id)?;
        Identity::load(
            &self.terminal_cert(terminal_id),
            &self.terminal_key(terminal_id),
        )
    }

    /// The CA certificate(s), to trust.
    pub fn ca_certs(&self) -> Result<Vec<CertificateDer<'static>>, PkiError> {
        load_certs(&self.ca_cert())
    }
}

fn create_private_dir(dir: &Path) -> Result<(), PkiError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io_err(dir))
}

fn write_public(path: &Path, bytes: &[u8]) -> Result<(), PkiError> {
    fs::write(path, bytes).map_err(io_err(path))
}

/// Writes a secret: to a temporary name created with mode 0600, then renamed over `path`,
/// so the key is never readable by others, not even briefly.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), PkiError> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(io_err(&tmp))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A leftover temporary file keeps its old mode; set it explicitly.
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io_err(&tmp))?;
    }
    file.write_all(bytes).map_err(io_err(&tmp))?;
    file.sync_all().map_err(io_err(&tmp))?;
    drop(file);
    fs::rename(&tmp, path).map_err(io_err(path))
}
