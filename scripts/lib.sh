# What the install scripts share. install_packages LABEL PACKAGE... installs,
# from Debian's packages, those of PACKAGE... that are missing, as root or
# through sudo; it does nothing when all are present.
install_packages() {
  local label=$1 p status
  shift
  local missing=()
  for p in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "$label: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  # Debian's postgresql-common would otherwise create and start a cluster we never use.
  "${sudo[@]}" mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | "${sudo[@]}" tee /etc/postgresql-common/createcluster.d/pgcrm.conf >/dev/null
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
