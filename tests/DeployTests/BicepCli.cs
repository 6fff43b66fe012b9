using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Wrapper.DeployTests;

/// <summary>One diagnostic line of the Bicep CLI: <c>path(line,col) : Warning rule: message [link]</c>.</summary>
internal sealed record BicepDiagnostic(string File, int Line, int Column, string Level, string Code, string Message)
{
    public override string ToString() => $"{DeployPaths.Relative(File)}({Line},{Column}) {Level} {Code}: {Message}";
}

internal sealed record BicepResult(int ExitCode, string StandardOutput, string StandardError, IReadOnlyList<BicepDiagnostic> Diagnostics)
{
    /// <summary>The warnings and errors about one file.</summary>
    public IReadOnlyList<string> ProblemsOf(string path) =>
        Diagnostics.Where(diagnostic => diagnostic.Level is "Warning" or "Error" && diagnostic.File == Path.GetFullPath(path))
            .Select(diagnostic => diagnostic.ToString())
            .ToList();

    /// <summary>Every warning or error, and any other line on stderr that is not a diagnostic.</summary>
    public IReadOnlyList<string> Problems =>
        Diagnostics.Where(diagnostic => diagnostic.Level is "Warning" or "Error").Select(diagnostic => diagnostic.ToString())
            .Concat(UnattributedErrors)
            .ToList();

    /// <summary>Lines on stderr that are not diagnostics of a file.</summary>
    public IEnumerable<string> UnattributedErrors =>
        StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !BicepCli.DiagnosticLine().IsMatch(line));
}

/// <summary>Runs the Bicep CLI of the Azure.Bicep.CommandLine.linux-x64 package.</summary>
internal static partial class BicepCli
{
    private static readonly Lazy<string> Executable = new(PrepareExecutable);

    [GeneratedRegex(@"^(?<file>.+)\((?<line>\d+),(?<column>\d+)\) : (?<level>Error|Warning|Info) (?<code>[^:]+): (?<message>.*)$")]
    internal static partial Regex DiagnosticLine();

    public static async Task<BicepResult> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(Executable.Value)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = DeployPaths.BicepDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // No telemetry, and no interference from the developer's own environment with readEnvironmentVariable().
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var name in ParameterVariables)
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var standardError = await error;

        var diagnostics = standardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => DiagnosticLine().Match(line))
            .Where(match => match.Success)
            .Select(match => new BicepDiagnostic(
                match.Groups["file"].Value,
                int.Parse(match.Groups["line"].Value),
                int.Parse(match.Groups["column"].Value),
                match.Groups["level"].Value,
                match.Groups["code"].Value,
                match.Groups["message"].Value))
            .Distinct()
            .ToList();
        return new BicepResult(process.ExitCode, await output, standardError, diagnostics);
    }

    /// <summary>The environment variables that main.bicepparam reads.</summary>
    public static IReadOnlyList<string> ParameterVariables { get; } =
        Regex.Matches(File.ReadAllText(Path.Combine(DeployPaths.BicepDirectory, "main.bicepparam")), @"readEnvironmentVariable\('(?<name>[A-Z0-9_]+)'")
            .Select(match => match.Groups["name"].Value)
            .Distinct()
            .ToList();

    private static string PrepareExecutable()
    {
        var path = DeployPaths.BicepExecutable;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException("The Bicep CLI is not in the package folder; run `dotnet restore tests/DeployTests`.", path);
        }
        // NuGet extracts files without their execute bit on some systems.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode executable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
            if ((mode & UnixFileMode.UserExecute) == 0)
            {
                File.SetUnixFileMode(path, mode | executable);
            }
        }
        return path;
    }
}
