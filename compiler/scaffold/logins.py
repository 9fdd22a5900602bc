"""The cloud logins of the scaffolded workflows: one step per cloud the spec uses, no more.

The workflow files under `files/` log in to AWS (`aws-actions/configure-aws-credentials`
with the moment's role: plan, apply or drift). `expand` replaces that step with the steps
of the clouds in use, in a fixed order (aws, azure, gcp, oci, ibm). A spec on AWS alone
gets the file unchanged, byte for byte.

The clouds are read from the spec when the workflows are written (`paybill init`, `paybill
init --update`), not when they run: a reviewer sees in the pull request which clouds a
workflow logs in to, and a spec that starts using a cloud changes its workflows in the
same pull request (after `paybill init --update .`).

How each cloud logs in, and why (docs/clouds.md, "Credentials"):
- aws: OIDC, a role per moment (`PAYBILL_<MOMENT>_ROLE_ARN`), as before.
- azure: `azure/login` with OIDC, an identity per moment (`PAYBILL_AZURE_<MOMENT>_CLIENT_ID`);
  then `ARM_USE_OIDC` and the ids for the azurerm provider and backend, which request
  their own tokens from the runner (the CLI's login lasts minutes, an apply may not).
- gcp: `google-github-actions/auth` with workload identity federation, a service account
  per moment; it writes the credentials file the google provider and gcs backend read.
- oci: no login action of Oracle's exists; an API key from repository secrets is written
  to the OCI config (profile DEFAULT) at run time, never printed.
- ibm: the ibmcloud CLI's trusted-profile login takes compute-resource tokens (IBM's own
  compute), not GitHub's OIDC token; an API key from repository secrets, as `IC_API_KEY`,
  and Cloud Object Storage's HMAC keys as the s3 backend's profile (`paybill-s3-compatible`
  in the shared credentials file), for IBM stacks' state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compiler.resolve.model import ResolvedSpec

CLOUDS = ("aws", "azure", "gcp", "oci", "ibm")
AZURE_LOGIN = "azure/login@f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca # v3.0.1"
GOOGLE_AUTH = "google-github-actions/auth@7c6bc770dae815cd3e89ee6cdf493a5fab2cc093 # v3.0.0"

# The AWS step as the workflow files hold it; MOMENT is PLAN, APPLY or DRIFT.
AWS_STEP = re.compile(
    r"^      - name: Cloud credentials \(OIDC\)\n"
    r"        uses: aws-actions/configure-aws-credentials@[0-9a-f]{40} # v[\d.]+\n"
    r"        with:\n"
    r"          role-to-assume: \$\{\{ vars\.PAYBILL_(?P<moment>PLAN|APPLY|DRIFT)_ROLE_ARN \}\}\n"
    r"          aws-region: \$\{\{ vars\.AWS_REGION \}\}\n",
    re.MULTILINE,
)

AZURE = """\
      # Azure: an identity with a federated credential for this repository (OIDC).
      # Variables: PAYBILL_AZURE_{moment}_CLIENT_ID, PAYBILL_AZURE_TENANT_ID,
      # PAYBILL_AZURE_SUBSCRIPTION_ID.
      - name: Azure credentials (OIDC)
        uses: {action}
        with:
          client-id: ${{{{ vars.PAYBILL_AZURE_{moment}_CLIENT_ID }}}}
          tenant-id: ${{{{ vars.PAYBILL_AZURE_TENANT_ID }}}}
          subscription-id: ${{{{ vars.PAYBILL_AZURE_SUBSCRIPTION_ID }}}}
      - name: Azure credentials for Terraform (OIDC)
        env:
          CLIENT_ID: ${{{{ vars.PAYBILL_AZURE_{moment}_CLIENT_ID }}}}
          TENANT_ID: ${{{{ vars.PAYBILL_AZURE_TENANT_ID }}}}
          SUBSCRIPTION_ID: ${{{{ vars.PAYBILL_AZURE_SUBSCRIPTION_ID }}}}
        run: |
          # The azurerm provider and backend ask the runner for their own OIDC tokens.
          {{
            echo "ARM_USE_OIDC=true"
            echo "ARM_CLIENT_ID=$CLIENT_ID"
            echo "ARM_TENANT_ID=$TENANT_ID"
            echo "ARM_SUBSCRIPTION_ID=$SUBSCRIPTION_ID"
          }} >> "$GITHUB_ENV"
"""

GCP = """\
      # Google Cloud: workload identity federation (OIDC), a service account per moment.
      # Variables: PAYBILL_GCP_WORKLOAD_IDENTITY_PROVIDER, PAYBILL_GCP_{moment}_SERVICE_ACCOUNT.
      - name: Google Cloud credentials (workload identity federation)
        uses: {action}
        with:
          workload_identity_provider: ${{{{ vars.PAYBILL_GCP_WORKLOAD_IDENTITY_PROVIDER }}}}
          service_account: ${{{{ vars.PAYBILL_GCP_{moment}_SERVICE_ACCOUNT }}}}
"""

OCI = """\
      # Oracle Cloud: an API key (Oracle publishes no login action); see docs/clouds.md.
      # Variables: PAYBILL_OCI_TENANCY_OCID, PAYBILL_OCI_REGION, PAYBILL_OCI_{moment}_USER_OCID,
      # PAYBILL_OCI_{moment}_FINGERPRINT. Secret: PAYBILL_OCI_{moment}_PRIVATE_KEY.
      - name: Oracle Cloud credentials (API key)
        env:
          TENANCY: ${{{{ vars.PAYBILL_OCI_TENANCY_OCID }}}}
          REGION: ${{{{ vars.PAYBILL_OCI_REGION }}}}
          USER_OCID: ${{{{ vars.PAYBILL_OCI_{moment}_USER_OCID }}}}
          FINGERPRINT: ${{{{ vars.PAYBILL_OCI_{moment}_FINGERPRINT }}}}
          PRIVATE_KEY: ${{{{ secrets.PAYBILL_OCI_{moment}_PRIVATE_KEY }}}}
        run: |
          # The oci provider and the oci state backend read profile DEFAULT of this file.
          if [ -z "$PRIVATE_KEY" ]; then
            echo "::error::the secret PAYBILL_OCI_{moment}_PRIVATE_KEY is not set" >&2
            exit 1
          fi
          umask 077
          mkdir -p "$HOME/.oci"
          printf '%s\\n' "$PRIVATE_KEY" > "$HOME/.oci/paybill_api_key.pem"
          printf '[DEFAULT]\\nuser=%s\\nfingerprint=%s\\ntenancy=%s\\nregion=%s\\nkey_file=%s\\n' \\
            "$USER_OCID" "$FINGERPRINT" "$TENANCY" "$REGION" "$HOME/.oci/paybill_api_key.pem" \\
            > "$HOME/.oci/config"
"""

IBM = """\
      # IBM Cloud: an API key of a service ID (trusted profiles do not take GitHub's OIDC
      # token), and the HMAC keys of Cloud Object Storage, where the s3 backend keeps IBM
      # stacks' state; see docs/clouds.md. Secrets: PAYBILL_IBM_{moment}_API_KEY,
      # PAYBILL_IBM_{moment}_COS_ACCESS_KEY_ID, PAYBILL_IBM_{moment}_COS_SECRET_ACCESS_KEY.
      - name: IBM Cloud credentials (API key)
        env:
          API_KEY: ${{{{ secrets.PAYBILL_IBM_{moment}_API_KEY }}}}
          COS_ACCESS_KEY_ID: ${{{{ secrets.PAYBILL_IBM_{moment}_COS_ACCESS_KEY_ID }}}}
          COS_SECRET_ACCESS_KEY: ${{{{ secrets.PAYBILL_IBM_{moment}_COS_SECRET_ACCESS_KEY }}}}
        run: |
          # The ibm provider reads IC_API_KEY; GitHub masks the values in every log.
          for secret in API_KEY COS_ACCESS_KEY_ID COS_SECRET_ACCESS_KEY; do
            if [ -z "${{!secret}}" ]; then
              echo "::error::the secret PAYBILL_IBM_{moment}_$secret is not set" >&2
              exit 1
            fi
          done
          echo "IC_API_KEY=$API_KEY" >> "$GITHUB_ENV"
          # The s3 backend's profile (compiler/emit/stacks/backend.py), beside AWS's own.
          umask 077
          mkdir -p "$HOME/.aws"
          printf '[paybill-s3-compatible]\\naws_access_key_id=%s\\naws_secret_access_key=%s\\n' \\
            "$COS_ACCESS_KEY_ID" "$COS_SECRET_ACCESS_KEY" >> "$HOME/.aws/credentials"
"""

_TEMPLATES = {
    "azure": (AZURE, AZURE_LOGIN),
    "gcp": (GCP, GOOGLE_AUTH),
    "oci": (OCI, ""),
    "ibm": (IBM, ""),
}


def used_clouds(spec: ResolvedSpec) -> tuple[str, ...]:
    """The clouds the workflows log in to: the platform's default cloud (where what names
    no cloud goes) and the cloud of every pool and tenant, deleted tenants included (their
    stacks are torn down with that cloud's credentials). A cloud declared under
    `spec.clouds` that nothing uses yet needs no login."""
    found = {spec.platform.cloud}
    found |= {pool.cloud for pool in spec.pools}
    found |= {tenant.cloud for tenant in spec.tenants}
    return ordered(found)


def ordered(clouds: Iterable[str]) -> tuple[str, ...]:
    """The clouds in the workflows' order; an unknown one raises (never guessed)."""
    wanted = set(clouds)
    unknown = sorted(wanted - set(CLOUDS))
    if unknown:
        raise ValueError(f"no login step for cloud(s) {', '.join(unknown)}")
    return tuple(c for c in CLOUDS if c in wanted)


def steps(clouds: Iterable[str], aws_step: str, moment: str) -> str:
    """The login steps for `clouds`: the file's own AWS step for aws, then the others."""
    out = []
    for cloud in ordered(clouds):
        if cloud == "aws":
            out.append(aws_step)
            continue
        template, action = _TEMPLATES[cloud]
        out.append(template.format(moment=moment, action=action))
    return "".join(out)


def expand(text: str, clouds: Iterable[str]) -> str:
    """A workflow file with its AWS login replaced by the logins of `clouds` (a file that
    logs in nowhere is returned as it is)."""
    found = list(AWS_STEP.finditer(text))
    if not found:
        return text
    if len(found) > 1:
        raise ValueError("a workflow file holds more than one cloud login step")
    match = found[0]
    replaced = steps(clouds, match.group(0), match.group("moment"))
    return text[: match.start()] + replaced + text[match.end() :]
