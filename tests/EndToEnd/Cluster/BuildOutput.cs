using System.Reflection;

namespace Wrapper.EndToEndTests.Cluster;

/// <summary>Where the programs under test were built: <c>src/{Project}/bin/{Configuration}/{tfm}/Wrapper.{Project}.dll</c>,
/// the same configuration and target framework as these tests (the project references build them first).</summary>
public static class BuildOutput
{
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Wrapper.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"No Wrapper.sln above {TestContext.CurrentContext.TestDirectory}.");
        }
    }

    public static string Dll(string project)
    {
        var configuration = typeof(BuildOutput).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var framework = Path.GetFileName(TestContext.CurrentContext.TestDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var dll = Path.Combine(RepositoryRoot, "src", project, "bin", configuration, framework, $"Wrapper.{project}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: build the solution (or tests/EndToEnd, which references src/{project}) first.", dll);
        }

        return dll;
    }
}
