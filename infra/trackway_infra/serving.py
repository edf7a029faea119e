"""The SageMaker serving target (optional): the role endpoints run as, and what deploying needs.

With the default serverless target none of this exists: the serving function loads the model itself. The
endpoints run `sagemaker_image_uri` (an MLflow pyfunc serving image), and may pull that repository only.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from cdk_nag import RegexAppliesTo
from constructs import Construct

from trackway_infra.config import TrackwayProps, parse_ecr_image
from trackway_infra.constants import SAGEMAKER_ROLE_ID, FunctionName
from trackway_infra.data import Data
from trackway_infra.functions import BackendFunctions
from trackway_infra.nag import logical_id, suppress

SAGEMAKER_DEPLOY_ACTIONS: Final = (
    "sagemaker:CreateModel",
    "sagemaker:DeleteModel",
    "sagemaker:DescribeModel",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:DeleteEndpointConfig",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:CreateEndpoint",
    "sagemaker:UpdateEndpoint",
    "sagemaker:DescribeEndpoint",
    "sagemaker:AddTags",
)


class SageMakerServing(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: TrackwayProps, data: Data) -> None:
        super().__init__(scope, construct_id)
        self.resource_prefix = props.name_prefix
        self.role = iam.Role(
            self,
            SAGEMAKER_ROLE_ID,
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"{props.name_prefix} SageMaker serving endpoints",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[data.bucket.arn_for_objects("*")])
        )
        # Model files are read in place as an uncompressed S3 prefix, which SageMaker lists first.
        self.role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[data.bucket.bucket_arn]))
        if data.key:
            data.key.grant_decrypt(self.role)
        self.role.add_to_policy(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))
        # Endpoints pull exactly the configured serving image's repository (which may be in another account).
        assert props.sagemaker_image_uri is not None  # TrackwayProps requires it for the SageMaker target
        self.image = parse_ecr_image(props.sagemaker_image_uri)
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchCheckLayerAvailability",
                ],
                resources=[
                    Stack.of(self).format_arn(
                        service="ecr",
                        resource="repository",
                        resource_name=self.image.repository,
                        account=self.image.account,
                        region=self.image.region,
                    )
                ],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self._arn("logs", "log-group", f"/aws/sagemaker/Endpoints/{self._named}:*", colon=True)],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}},
            )
        )
        suppress(
            self.role,
            "AwsSolutions-IAM5",
            (
                "ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no resource-level "
                "permissions (PutMetricData is pinned to the SageMaker namespace); model artifacts are "
                "objects of the artifact bucket; endpoint log groups are matched by the stack's name prefix"
            ),
            applies_to=[
                "Resource::*",
                f"Resource::<{logical_id(data.bucket)}.Arn>/*",
                RegexAppliesTo(
                    regex="/^Resource::arn:<AWS::Partition>:logs:.*:log-group:/aws/sagemaker/Endpoints/.*$/"
                ),
            ],
        )

    @property
    def _named(self) -> str:
        return f"{self.resource_prefix}-*"

    def grant(self, functions: BackendFunctions) -> None:
        """Deployment manages `<prefix>-*` models/configs/endpoints and passes the role; serving invokes."""
        deployment, serving = functions[FunctionName.DEPLOYMENT], functions[FunctionName.SERVING]
        deployment.add_to_role_policy(
            iam.PolicyStatement(
                actions=list(SAGEMAKER_DEPLOY_ACTIONS),
                resources=[
                    self._arn("sagemaker", kind, self._named) for kind in ("model", "endpoint-config", "endpoint")
                ],
            )
        )
        deployment.add_to_role_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        serving.add_to_role_policy(
            iam.PolicyStatement(
                actions=["sagemaker:InvokeEndpoint"],
                resources=[self._arn("sagemaker", "endpoint", self._named)],
            )
        )
        for function in (deployment, serving):
            assert function.role is not None
            suppress(
                function.role,
                "AwsSolutions-IAM5",
                f"SageMaker access is scoped to models, endpoint configs and endpoints named {self._named}",
                applies_to=[RegexAppliesTo(regex="/^Resource::arn:<AWS::Partition>:sagemaker:.*$/")],
            )

    def _arn(self, service: str, resource: str, name: str, *, colon: bool = False) -> str:
        return Stack.of(self).format_arn(
            service=service,
            resource=resource,
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME if colon else ArnFormat.SLASH_RESOURCE_NAME,
        )
