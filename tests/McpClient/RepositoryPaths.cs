namespace Wrapper.McpClientTests;

/// <summary>Folders of the repository, found from the test assembly's output folder.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>tests/McpClient/node: the TypeScript client.</summary>
    public static string NodeFolder => Path.Combine(Root, "tests", "McpClient", "node");

    /// <summary>src/Api's output for the same configuration as this test assembly (bin/&lt;Configuration&gt;/net10.0).</summary>
    public static string ApiOutputFolder
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var framework = output.Name;
            var configuration = output.Parent!.Name;
            return Path.Combine(Root, "src", "Api", "bin", configuration, framework);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Wrapper.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Wrapper.sln not found above " + AppContext.BaseDirectory);
    }
}
