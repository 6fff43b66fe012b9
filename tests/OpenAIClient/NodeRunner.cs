using System.Diagnostics;

namespace Wrapper.OpenAIClientTests;

/// <summary>Runs node and npm in tests/OpenAIClient/node.</summary>
public static class NodeRunner
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    /// <summary>tests/OpenAIClient/node, found from the test assembly's output folder.</summary>
    public static string NodeFolder { get; } = FindNodeFolder();

    /// <summary>Runs <c>npm ci</c> when node_modules is missing (a developer who ran only <c>dotnet test</c>).</summary>
    public static async Task EnsurePackagesAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(NodeFolder, "node_modules", "openai")))
            {
                return;
            }

            var (exitCode, stdout, stderr) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], new Dictionary<string, string>(),
                TimeSpan.FromMinutes(5));
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"npm ci failed ({exitCode}):\n{stdout}\n{stderr}");
            }
        }
        finally
        {
            InstallLock.Release();
        }
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = NodeFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The client must not pick up a developer's real Azure or OpenAI settings.
        foreach (var name in new[] { "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_VERSION", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} took longer than {timeout}.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static string FindNodeFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Wrapper.sln")))
            {
                return Path.Combine(dir.FullName, "tests", "OpenAIClient", "node");
            }
        }

        throw new DirectoryNotFoundException("Wrapper.sln not found above " + AppContext.BaseDirectory);
    }
}
