namespace Wrapper.McpClientTests;

/// <summary>Folders of the repository, found from the test assembly's output folder.</summary>
public static class RepositoryPaths
{
    public static string Root => Wrapper.Tests.NodeProject.RepositoryRoot;

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
}
