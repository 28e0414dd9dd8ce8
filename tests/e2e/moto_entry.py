"""Start moto's server, with the one IAM read the AWS provider needs that moto 5.2 lacks.

`terraform destroy` of an `aws_iam_user` with `force_destroy = true` (as mfagen renders users)
lists the user's service-specific credentials (CodeCommit, Keyspaces) to delete them first.
moto 5.2 has no `ListServiceSpecificCredentials`: it answers HTTP 500, and the provider retries
for many minutes. No such credentials ever exist on the endpoint, so the honest answer is an
empty list, after the same existence check AWS makes (NoSuchEntity for an unknown user).
Everything else is moto's own behaviour. Run as ``python moto_entry.py -H HOST -p PORT``.
"""

from __future__ import annotations

import sys

from moto.core.responses import ActionResult
from moto.iam.responses import IamResponse
from moto.server import main


def list_service_specific_credentials(self: IamResponse) -> ActionResult:
    self.backend.get_user(self._get_param("UserName"))
    return ActionResult({"ServiceSpecificCredentials": []})


if __name__ == "__main__":
    if not hasattr(IamResponse, "list_service_specific_credentials"):
        IamResponse.list_service_specific_credentials = list_service_specific_credentials  # type: ignore[attr-defined]
    main(sys.argv[1:])
