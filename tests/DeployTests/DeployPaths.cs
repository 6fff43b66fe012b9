using System.Reflection;

namespace Wrapper.DeployTests;

/// <summary>Locations handed over by the build (AssemblyMetadata in the project file).</summary>
internal static class DeployPaths
{
    public static string DeployDirectory { get; } = Metadata("DeployDirectory");

    public static string BicepDirectory => Path.Combine(DeployDirectory, "bicep");

    public static string ApimDirectory => Path.Combine(DeployDirectory, "apim");

    public static string ContainerDirectory => Path.Combine(DeployDirectory, "container");

    public static string BicepExecutable { get; } = Metadata("BicepPath");

    /// <summary>Path relative to deploy/, with forward slashes: the readable name of a test case.</summary>
    public static string Relative(string path) =>
        Path.GetRelativePath(DeployDirectory, path).Replace(Path.DirectorySeparatorChar, '/');

    private static string Metadata(string key) =>
        typeof(DeployPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing; see Wrapper.DeployTests.csproj.");
}
