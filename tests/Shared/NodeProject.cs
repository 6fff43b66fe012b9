using System.Diagnostics;

namespace Wrapper.Tests;

/// <summary>
/// A node project under tests/ (a folder with package.json and package-lock.json) that a test drives with an official
/// client library: installs its packages when missing and runs node or npm in it with a clean environment. One source
/// file, linked into each test project that has a node folder (tests/McpClient, tests/OpenAIClient, tests/FoundryClient).
/// </summary>
internal sealed class NodeProject
{
    // Variables that the official clients read on their own: a developer's real settings must not reach a test.
    private static readonly string[] ClientSettings =
        ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_VERSION", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"];

    private readonly SemaphoreSlim _installLock = new(1, 1);
    private readonly string _installedMarker;

    /// <param name="testFolder">The test project's folder under tests/ (e.g. <c>McpClient</c>); its node project is
    /// <c>tests/&lt;testFolder&gt;/node</c>.</param>
    /// <param name="package">A package of its package.json whose presence in node_modules means it is installed.</param>
    public NodeProject(string testFolder, string package)
    {
        Folder = Path.Combine(RepositoryRoot, "tests", testFolder, "node");
        _installedMarker = Path.Combine([Folder, "node_modules", .. package.Split('/')]);
    }

    /// <summary>The repository's root: the folder above the test assembly's output that holds Wrapper.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>tests/&lt;project&gt;/node.</summary>
    public string Folder { get; }

    /// <summary>Runs <c>npm ci</c> when node_modules lacks the package (a developer who ran only <c>dotnet test</c>;
    /// .ci/run installs every node folder first).</summary>
    public async Task EnsurePackagesAsync()
    {
        await _installLock.WaitAsync();
        try
        {
            if (Directory.Exists(_installedMarker))
            {
                return;
            }

            var (exitCode, stdout, stderr) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"npm ci failed ({exitCode}):\n{stdout}\n{stderr}");
            }
        }
        finally
        {
            _installLock.Release();
        }
    }

    /// <summary>Runs <paramref name="fileName"/> in <see cref="Folder"/> with <paramref name="environment"/> added to
    /// an environment without the clients' own settings; kills it (and its children) past <paramref name="timeout"/>.</summary>
    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string fileName, IReadOnlyList<string> arguments,
        TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in ClientSettings)
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
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

    private static string FindRepositoryRoot()
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
