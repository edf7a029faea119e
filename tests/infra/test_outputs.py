from __future__ import annotations

from tests.infra.synth import JWT_ISSUER, Synth


def test_outputs_for_the_user(default: Synth) -> None:
    outputs = default.json["Outputs"]
    host = [
        {"Ref": default.logical_id("Api/HttpApi")},
        ".execute-api.",
        {"Ref": "AWS::Region"},
        ".",
        {"Ref": "AWS::URLSuffix"},
    ]
    # No trailing slash: the mlflow client appends `/api/2.0/...` to the tracking URI.
    assert outputs["ApiUrl"]["Value"] == {"Fn::Join": ["", ["https://", *host]]}
    assert outputs["ArtifactBucketName"]["Value"] == {"Ref": default.logical_id("Data/ArtifactBucket")}
    assert outputs["EventBusName"]["Value"] == {"Ref": default.logical_id("Events/Bus")}
    assert outputs["MlflowTrackingUri"]["Value"] == {"Fn::Join": ["", ["MLFLOW_TRACKING_URI=https://", *host]]}
    assert outputs["MlflowTrackingAuth"]["Value"] == "MLFLOW_TRACKING_AWS_SIGV4=true"
    assert "AlarmTopicArn" not in outputs


def test_jwt_outputs_say_how_to_authenticate(full: Synth) -> None:
    outputs = full.json["Outputs"]
    assert outputs["MlflowTrackingAuth"]["Value"].startswith("MLFLOW_TRACKING_TOKEN=")
    assert JWT_ISSUER in outputs["MlflowTrackingAuth"]["Value"]
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": full.logical_id("Observability/AlarmTopic")}
