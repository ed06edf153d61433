package org.vaespark.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.AccessDeniedException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.AccessControlException;
import org.junit.jupiter.api.Test;

/**
 * The one-line messages for storage failures, on the exceptions S3A 3.3.4 and HDFS raised in BadStorageTest
 * (their messages as recorded there).
 */
class StorageProblemsTest {
  private static final Path PATH = new Path("s3a://b/out/dataset");

  @Test
  void s3aErrorsAreCutToTheStoresAnswer() {
    AccessDeniedException forbidden =
        new AccessDeniedException("s3a://b/out/dataset: getFileStatus on s3a://b/out/dataset: "
            + "com.amazonaws.services.s3.model.AmazonS3Exception: Forbidden (Service: Amazon S3; Status Code: 403; "
            + "Error Code: 403 Forbidden; Request ID: 4442587FB7D0A2F9; S3 Extended Request ID: null; Proxy: null), "
            + "S3 Extended Request ID: null:403 Forbidden");
    assertThat(StorageProblems.of(PATH, "cannot be checked", new IOException("wrapped", forbidden)))
        .hasMessage(
            "s3a://b/out/dataset: access denied by the store (HTTP 403 Forbidden): the credentials are "
                + "wrong or have no permission on this path; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the "
                + "credential provider or the role (README, 'Credentials')");

    String noBucket = "`s3a://b/out/dataset': getFileStatus on s3a://b/out/dataset: "
        + "com.amazonaws.services.s3.model.AmazonS3Exception: The specified bucket does not exist (Service: Amazon "
        + "S3; Status Code: 404; Error Code: NoSuchBucket; Request ID: 4442587FB7D0A2F9; S3 Extended Request ID: "
        + "null; Proxy: null), S3 Extended Request ID: null:NoSuchBucket";
    assertThat(StorageProblems.brief(new IOException(noBucket)))
        .isEqualTo("HTTP 404 NoSuchBucket: The specified bucket does not exist");
  }

  @Test
  void unreachableStoresAndHdfsPermissionsAreNamedOnOneLine() {
    IOException refused = new IOException(
        "doesBucketExist",
        new ConnectException("Connect to 127.0.0.1:41437 [/127.0.0.1] failed: Connection refused"));
    assertThat(StorageProblems.describe(refused))
        .startsWith(
            "the store cannot be reached (Connect to 127.0.0.1:41437 [/127.0.0.1] failed: Connection refused)");

    AccessControlException denied = new AccessControlException(
        "Permission denied: user=alice, access=WRITE, inode=\"/t\":root:supergroup:drwxr-xr-x\n"
            + "\tat org.apache.hadoop.hdfs.server.namenode.FSPermissionChecker.check(FSPermissionChecker.java:506)");
    assertThat(StorageProblems.of(PATH, "cannot be written", denied).getMessage())
        .isEqualTo(
            "s3a://b/out/dataset: permission denied (Permission denied: user=alice, access=WRITE, "
                + "inode=\"/t\":root:supergroup:drwxr-xr-x): write to a path this user may write, or ask for access")
        .doesNotContain("\n");

    assertThat(StorageProblems.describe(new IOException("some other failure"))).isNull();
  }
}
