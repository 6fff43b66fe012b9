using System.Diagnostics;

namespace Wrapper.Bench;

/// <summary>The checkout the bench measures: where things are, how to build them, which commit they are.</summary>
public sealed class Repository
{
    private Repository(string root) => Root = root;

    public string Root { get; }

    public string SimulatorDll => Path.Combine(Root, "src", "Simulator", "bin", "Release", "net10.0", "Wrapper.Simulator.dll");

    public string ApiDll => Path.Combine(Root, "src", "Api", "bin", "Release", "net10.0", "Wrapper.Api.dll");

    public string GatewayProject => Path.Combine(Root, "src", "Gateway", "Wrapper.Gateway.csproj");

    public string GatewayDll => Path.Combine(Root, "src", "Gateway", "bin", "Release", "net10.0", "Wrapper.Gateway.dll");

    public string NodeDirectory => Path.Combine(Root, "bench", "node");

    public string PortkeyScript => Path.Combine(NodeDirectory, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js");

    public string ResultsDirectory => Path.Combine(Root, "bench", "results");

    /// <summary>The directory holding Wrapper.sln, from the working directory or this program's location upward.</summary>
    public static Repository Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Wrapper.sln")))
                {
                    return new Repository(dir.FullName);
                }
            }
        }

        throw new BenchException("run the bench from the repository (no Wrapper.sln found above the working directory)");
    }

    /// <summary>Builds a project in Release; throws with the end of the output when the build fails.</summary>
    public async Task BuildReleaseAsync(string project)
    {
        Console.WriteLine($"building {Path.GetRelativePath(Root, project)} (Release)...");
        var (code, output) = await RunAsync("dotnet", ["build", project, "-c", "Release", "-nologo", "-v", "quiet"], Root);
        if (code != 0)
        {
            throw new BenchException($"build of {project} failed:{Environment.NewLine}{string.Join(Environment.NewLine, output.Split('\n').TakeLast(25))}");
        }
    }

    /// <summary>Installs the node packages of bench/node from its lock file when they are not there yet.</summary>
    public async Task EnsureNodePackagesAsync()
    {
        if (File.Exists(PortkeyScript))
        {
            return;
        }

        Console.WriteLine("npm ci in bench/node...");
        var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], NodeDirectory);
        if (code != 0 || !File.Exists(PortkeyScript))
        {
            throw new BenchException($"npm ci in bench/node failed:{Environment.NewLine}{output}");
        }
    }

    /// <summary>Short commit id, with "+ uncommitted changes" when src/ differs from it.</summary>
    public async Task<string> DescribeAsync()
    {
        var (_, commit) = await RunAsync("git", ["rev-parse", "--short", "HEAD"], Root);
        var (_, changes) = await RunAsync("git", ["status", "--porcelain", "--", "src"], Root);
        return commit.Trim() + (string.IsNullOrWhiteSpace(changes) ? string.Empty : " + uncommitted changes in src/");
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> arguments, string workingDirectory)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output + await error);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
