#!/bin/sh
# The official e-invoice rules the tests run (tests/einvoice_rules.py): three public
# repositories, each checked out at a pinned release into one folder, which this prints on
# standard output (all else goes to standard error). Use it as
#     export SEATBATCH_EINVOICE_RULES=$(sh tests/get_einvoice_rules.sh)
# The folder is the first argument, else ~/.cache/seatbatch/einvoice-rules. Each repository is
# taken from a local mirror, the bare git repository $EINVOICE_MIRRORS/owner+name/repo
# (/work/.mirror by default), where there is one, else cloned from GitHub. A checkout already at
# its pinned commit, unchanged, is kept.
set -eu
export GIT_TERMINAL_PROMPT=0  # a repository that is not there fails, never asks for a password

folder=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/seatbatch/einvoice-rules}
mirrors=${EINVOICE_MIRRORS:-/work/.mirror}

# folder, owner/name, release tag, its commit (a tag that moved is refused)
get() {
    into=$folder/$1
    if [ "$(git -C "$into" rev-parse HEAD 2>/dev/null || true)" = "$4" ] &&
       [ -z "$(git -C "$into" status --porcelain)" ]; then
        echo "$2 $3: $into" >&2
        return 0
    fi
    mirror=$mirrors/$(echo "$2" | tr / +)/repo
    if [ -d "$mirror" ]; then
        from=file://$mirror
    else
        from=https://github.com/$2.git
    fi
    rm -rf "$into" "$into.part"
    git init --quiet "$into.part"
    if ! git -C "$into.part" fetch --quiet --depth 1 "$from" "refs/tags/$3"; then
        rm -rf "$into.part"
        echo "could not fetch $2 $3 from $from" >&2
        return 1
    fi
    git -C "$into.part" -c advice.detachedHead=false checkout --quiet FETCH_HEAD
    got=$(git -C "$into.part" rev-parse HEAD)
    if [ "$got" != "$4" ]; then
        rm -rf "$into.part"
        echo "$2 $3 is commit $got, not $4 as pinned in $0" >&2
        return 1
    fi
    mv "$into.part" "$into"
    echo "$2 $3: $into (from $from)" >&2
}

mkdir -p "$folder"
folder=$(cd "$folder" && pwd)
get eInvoicing-EN16931 ConnectingEurope/eInvoicing-EN16931 validation-1.3.16 \
    b6c9e06a59812fb1a83585da40923b3678a649ad
get peppol-bis-invoice-3 OpenPEPPOL/peppol-bis-invoice-3 v3.0.19 \
    78d7f7dfa223f39f8ebd8d35c127f2690e646322
get schxslt schxslt/schxslt v1.10.1 \
    17f63a42c2d417206e1289cf767359c4fa047919
echo "$folder"
