using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Infrastructure.Agents;

namespace Wrapper.IntegrationTests.Agents;

/// <summary>Configuration of the agents (no server involved) and the run-failure mapping.</summary>
public sealed class AgentServiceOptionsTests
{
    private static AgentServiceOptions Options(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAgents(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<AgentServiceOptions>>().Value;
    }

    private static string[] Failures(Dictionary<string, string?> settings)
    {
        var ex = Assert.Throws<OptionsValidationException>(() => Options(settings));
        return ex!.Failures.ToArray();
    }

    [Test]
    public void TheOriginalVariables_SetTheEndpointAndTheBingAgent_AndWinOverTheSections()
    {
        var options = Options(new()
        {
            ["AZURE_AI_PROJECT_ENDPOINT"] = " https://res.services.ai.azure.com/api/projects/p ",
            ["AZURE_AI_AGENT_ID"] = "asst_env",
            ["AgentService:Endpoint"] = "https://other.example/api/projects/q",
            ["Agents:bing-grounding:AgentId"] = "asst_section",
            ["Agents:plain:AgentId"] = "asst_plain1",
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Endpoint, Is.EqualTo(new Uri("https://res.services.ai.azure.com/api/projects/p")));
            Assert.That(options.AgentIdOf("bing-grounding"), Is.EqualTo("asst_env"));
            Assert.That(options.AgentIdOf("PLAIN"), Is.EqualTo("asst_plain1"));
            Assert.That(options.ApiVersion, Is.EqualTo("v1"));
            Assert.That(options.TrustedCertificate, Is.Null);
        }
    }

    [Test]
    public void EmptyValues_CountAsUnset()
    {
        var options = Options(new()
        {
            ["AZURE_AI_PROJECT_ENDPOINT"] = "",
            ["AZURE_AI_AGENT_ID"] = " ",
            ["AgentService:RunDeadlineSeconds"] = "",
            ["Agents:plain:AgentId"] = "",
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.Endpoint, Is.Null);
            Assert.That(options.AgentIdOf("bing-grounding"), Is.Null);
            Assert.That(options.AgentIdOf("plain"), Is.Null);
            Assert.That(options.RunDeadline, Is.EqualTo(TimeSpan.FromSeconds(120)));
        }
    }

    [Test]
    public void TuningKnobs_AreRead()
    {
        var options = Options(new()
        {
            ["AgentService:RunDeadlineSeconds"] = "7.5",
            ["AgentService:FirstPollDelayMs"] = "100",
            ["AgentService:MaxPollDelayMs"] = "400",
            ["AgentService:MaxRetries"] = "0",
        });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options.RunDeadline, Is.EqualTo(TimeSpan.FromSeconds(7.5)));
            Assert.That(options.FirstPollDelay, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
            Assert.That(options.MaxPollDelay, Is.EqualTo(TimeSpan.FromMilliseconds(400)));
            Assert.That(options.MaxRetries, Is.Zero);
        }
    }

    [Test]
    public void ATrustedCertificate_CannotBeSetFromConfiguration()
    {
        var options = Options(new()
        {
            ["AgentService:TrustedCertificate"] = "MIIBAQ==",
            ["AgentService:TrustedCertificate:RawData"] = "MIIBAQ==",
        });

        Assert.That(options.TrustedCertificate, Is.Null);
    }

    [Test]
    public void BadSettings_FailTheStart_NamingEachKey()
    {
        var failures = Failures(new()
        {
            ["AZURE_AI_PROJECT_ENDPOINT"] = "not a url",
            ["AgentService:RunDeadlineSeconds"] = "soon",
            ["AgentService:MaxRetries"] = "1.5",
            ["AgentService:MaxPollDelayMs"] = "0",
            ["Agents:plain:AgentId"] = "asst/../x",
        });

        Assert.That(string.Join("\n", failures), Does.Contain("AZURE_AI_PROJECT_ENDPOINT must be an absolute https URL")
            .And.Contain("AgentService:RunDeadlineSeconds must be a number, got 'soon'")
            .And.Contain("AgentService:MaxRetries must be a whole number")
            .And.Contain("AgentService:MaxPollDelayMs must be between")
            .And.Contain("Agents:plain:AgentId must be an agent id"));
    }

    [Test]
    public void AnHttpEndpoint_IsRefused_BecauseTokensNeverTravelInTheClear()
    {
        var failures = Failures(new() { ["AZURE_AI_PROJECT_ENDPOINT"] = "http://res.services.ai.azure.com/api/projects/p" });

        Assert.That(failures.Single(), Does.Contain("must be an https URL"));
    }

    [TestCase("failed", "rate_limit_exceeded", "Rate limit is exceeded. Try again in 22 seconds.", UpstreamFailure.Throttled)]
    [TestCase("failed", "server_error", null, UpstreamFailure.Unavailable)]
    [TestCase("failed", "invalid_prompt", null, UpstreamFailure.BadResponse)]
    [TestCase("expired", null, null, UpstreamFailure.Timeout)]
    [TestCase("cancelled", null, null, UpstreamFailure.Unavailable)]
    [TestCase("incomplete", null, null, UpstreamFailure.BadResponse)]
    [TestCase("requires_action", null, null, UpstreamFailure.BadResponse)]
    public void ARunThatDidNotComplete_MapsToAnHonestFailure(string status, string? code, string? message, UpstreamFailure expected)
    {
        var failure = AgentThreadRunner.FailureOf(new AgentRun("run_1", "thread_1", status, code, message, status == "incomplete" ? "max_completion_tokens" : null));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failure.Failure, Is.EqualTo(expected));
            Assert.That(failure.RetryAfter, Is.EqualTo(code == "rate_limit_exceeded" ? TimeSpan.FromSeconds(22) : (TimeSpan?)null));
            Assert.That(failure.Message, Does.Not.Contain("Try again"), "upstream text stays out of the message");
        }
    }

    [Test]
    public void AFailedRunsCode_IsNamed_OnlyWhenItIsAPlainIdentifier()
    {
        var named = AgentThreadRunner.FailureOf(new AgentRun("r", "t", "failed", "invalid_prompt"));
        var hidden = AgentThreadRunner.FailureOf(new AgentRun("r", "t", "failed", "<script>secret</script>"));

        Assert.That(named.Message, Does.Contain("invalid_prompt"));
        Assert.That(hidden.Message, Does.Not.Contain("secret"));
    }
}
