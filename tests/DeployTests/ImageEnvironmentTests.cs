namespace Wrapper.DeployTests;

/// <summary>The image runs in the Production environment, where a missing Azure endpoint stops the service at start
/// instead of being answered by the built-in simulator (unless WRAPPER_ALLOW_SIMULATOR=true asks for it).</summary>
[TestFixture]
public class ImageEnvironmentTests
{
    [Test]
    public void Image_runs_in_the_Production_environment()
    {
        var image = Dockerfile.Load(Path.Combine(DeployPaths.ContainerDirectory, "Dockerfile"));

        Assert.Multiple(() =>
        {
            Assert.That(image.Final.Resolve("${ASPNETCORE_ENVIRONMENT}"), Is.EqualTo("Production"));
            Assert.That(image.Final.Resolve("${WRAPPER_ALLOW_SIMULATOR}"), Is.Not.EqualTo("true"), "the image never opts into simulation itself");
        });
    }
}
