using System.Diagnostics;

namespace Wrapper.DeployTests;

[TestFixture]
public class DeployScriptTests
{
    private static string Script => Path.Combine(DeployPaths.DeployDirectory, "scripts", "deploy.sh");

    [Test]
    public void Deploy_script_stops_on_the_first_failure()
    {
        var lines = File.ReadAllLines(Script);

        Assert.That(lines[0], Is.EqualTo("#!/usr/bin/env bash"));
        Assert.That(lines.Take(30).Select(line => line.Trim()), Does.Contain("set -euo pipefail"));
    }

    [Test]
    public async Task Deploy_script_is_valid_bash()
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(Script);
        using var bash = Process.Start(start)!;
        var errors = await bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();

        Assert.That(errors, Is.Empty);
        Assert.That(bash.ExitCode, Is.Zero);
    }

    [Test]
    public void Deploy_script_deploys_the_bicep_parameters_file()
    {
        var script = File.ReadAllText(Script);

        Assert.That(script, Does.Contain("az group create"));
        Assert.That(script, Does.Contain("az acr build"));
        Assert.That(script, Does.Contain("az deployment group create"));
        Assert.That(script, Does.Contain("main.bicepparam"));
        // Every variable main.bicepparam requires (no default there) is checked or set by the script.
        foreach (var name in new[] { "AZURE_CONTAINER_REGISTRY", "WRAPPER_IMAGE", "WRAPPER_BACKEND_API_KEY", "APIM_PUBLISHER_EMAIL" })
        {
            Assert.That(script, Does.Contain($"export {name}").Or.Contain($"{name}:?"), name);
        }
    }
}
