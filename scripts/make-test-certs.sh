#!/bin/bash
# Makes the certificates the TLS tests and `make bench` use, in DIR (made if missing), with the
# openssl of the machine (OpenSSL 3.0 has no negative -days, so dated certificates go through
# `openssl ca -startdate/-enddate`). Takes about a second. Files (PEM, EC P-256):
#   ca.pem ca.key               the test CA
#   server.pem/.key             CN=localhost, DNS:localhost, IP:127.0.0.1, IP:::1, valid a year
#   expired.pem/.key            ended yesterday
#   notyet.pem/.key             valid from tomorrow
#   wrongname.pem/.key          DNS:other.example, IP:10.9.9.9 only
#   soon.pem/.key               expires in 5 days (inside the default tls_cert_warn_days 14)
#   client.pem/.key             clientAuth, CN=thrifttop-client, DNS:thrifttop-client, IP:127.0.0.1
#   etcd.pem/.key               as server, for clientAuth too: etcd 3.4 --client-cert-auth needs that
#                               (its JSON gateway presents etcd's own certificate to its gRPC server)
#   other-ca.pem/.key           a second CA that nothing trusts
#   untrusted.pem/.key          a localhost certificate signed by other-ca
#   untrusted-client.pem/.key   a client certificate signed by other-ca
set -euo pipefail
dir=${1:?usage: make-test-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
exec 3>&2 2>openssl.log
trap 'cat openssl.log >&3' ERR
ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout "$1.key" -out "$1.pem" -days 3650 \
    -subj "/CN=$2" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
ca ca "thrifttop test CA"
ca other-ca "some other CA"
rm -rf db && mkdir db && : > db/index.txt && echo 1000 > db/serial
cat > ca.cnf <<X
[ca]
default_ca=tt
[tt]
database=db/index.txt
serial=db/serial
new_certs_dir=db
default_md=sha256
policy=any
unique_subject=no
copy_extensions=copy
[any]
commonName=supplied
X
t() { date -u -d "$1" +%y%m%d%H%M%SZ; }
# leaf NAME CN SANS START END [EKU] [CA]
leaf() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" \
    -addext "subjectAltName=$3" -addext "extendedKeyUsage=${6:-serverAuth}"
  openssl ca -batch -notext -config ca.cnf -cert "${7:-ca}.pem" -keyfile "${7:-ca}.key" -in "$1.csr" -out "$1.pem" \
    -startdate "$4" -enddate "$5"
  rm -f "$1.csr"
}
leaf server localhost "DNS:localhost,IP:127.0.0.1,IP:::1" "$(t '-1 hour')" "$(t '+365 days')"
leaf expired localhost "DNS:localhost,IP:127.0.0.1" "$(t '-30 days')" "$(t '-1 day')"
leaf notyet localhost "DNS:localhost,IP:127.0.0.1" "$(t '+1 day')" "$(t '+30 days')"
leaf wrongname other.example "DNS:other.example,IP:10.9.9.9" "$(t '-1 hour')" "$(t '+365 days')"
leaf soon localhost "DNS:localhost,IP:127.0.0.1" "$(t '-1 hour')" "$(t '+5 days')"
leaf client thrifttop-client "DNS:thrifttop-client,IP:127.0.0.1" "$(t '-1 hour')" "$(t '+365 days')" clientAuth
leaf etcd localhost "DNS:localhost,IP:127.0.0.1,IP:::1" "$(t '-1 hour')" "$(t '+365 days')" serverAuth,clientAuth
leaf untrusted localhost "DNS:localhost,IP:127.0.0.1" "$(t '-1 hour')" "$(t '+365 days')" serverAuth other-ca
leaf untrusted-client thrifttop-client "DNS:thrifttop-client,IP:127.0.0.1" "$(t '-1 hour')" "$(t '+365 days')" clientAuth other-ca
rm -rf db ca.cnf
chmod 600 ./*.key
