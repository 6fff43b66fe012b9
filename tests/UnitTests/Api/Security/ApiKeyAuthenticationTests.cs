using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Wrapper.Api.Security;

namespace Wrapper.UnitTests.Api.Security;

/// <summary>The API-key scheme on its own: the principal it makes (name, gateway claim) and what
/// <see cref="ClientIdentity"/> reads from it.</summary>
public sealed class ApiKeyAuthenticationTests
{
    private const string ApimKey = "apim-gateway-key-0123456789abcdef0123";
    private const string OpsKey = "ops-client-key-0123456789abcdef012345";
    private const string DottedKey = "aaaaaaaaaaaa.bbbbbbbbbbbb.cccccccccccc";

    private ServiceProvider _services = null!;

    [SetUp]
    public void BuildServices()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:ApiKeys:0:Name"] = "apim",
            ["Auth:ApiKeys:0:Key"] = ApimKey,
            ["Auth:ApiKeys:0:Gateway"] = "true",
            ["API_KEYS"] = "ops:" + OpsKey,
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddProblemDetails();
        services.AddApiSecurity(configuration);
        _services = services.BuildServiceProvider();
    }

    [TearDown]
    public void DisposeServices() => _services.Dispose();

    private async Task<(AuthenticateResult Result, HttpContext Context)> AuthenticateAsync(string header, string value)
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Headers[header] = value;
        var result = await context.AuthenticateAsync();
        if (result.Succeeded)
        {
            context.User = result.Principal;
        }

        return (result, context);
    }

    [Test]
    public async Task ShouldNameTheClientAndMarkTheGatewaysKey()
    {
        var (result, context) = await AuthenticateAsync("api-key", ApimKey);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True);
            Assert.That(result.Principal!.FindFirst(ClaimTypes.Name)?.Value, Is.EqualTo("apim"));
            Assert.That(result.Principal!.FindFirst(ClientIdentity.GatewayClaim)?.Value, Is.EqualTo("true"));
            Assert.That(ClientIdentity.Name(context), Is.EqualTo("apim"));
            Assert.That(ClientIdentity.AuthenticatedName(context), Is.EqualTo("apim"));
            Assert.That(ClientIdentity.IsGateway(context), Is.True);
        });
    }

    [Test]
    public async Task ShouldNotMarkAnotherClientAsTheGateway()
    {
        var (result, context) = await AuthenticateAsync("Authorization", "Bearer " + OpsKey);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.True);
            Assert.That(ClientIdentity.Name(context), Is.EqualTo("ops"));
            Assert.That(ClientIdentity.IsGateway(context), Is.False);
            Assert.That(result.Principal!.HasClaim(c => c.Type == ClientIdentity.GatewayClaim), Is.False);
        });
    }

    [TestCase("api-key", ApimKey + "x")]
    [TestCase("api-key", "")]
    [TestCase("Authorization", "Bearer " + "apim-gateway-key-0123456789abcdef012")]
    public async Task ShouldFailAWrongKey(string header, string value)
    {
        var (result, context) = await AuthenticateAsync(header, value);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.False);
            Assert.That(ClientIdentity.AuthenticatedName(context), Is.Null);
            Assert.That(ClientIdentity.Name(context), Is.EqualTo(ClientIdentity.Anonymous));
            Assert.That(ClientIdentity.IsGateway(context), Is.False);
        });
    }

    [TestCase("X-Other", "whatever")]
    [TestCase("Authorization", "Basic " + ApimKey)]
    public async Task ShouldNotAuthenticateWithoutAKey(string header, string value)
    {
        var (result, _) = await AuthenticateAsync(header, value);

        Assert.Multiple(() =>
        {
            Assert.That(result.Succeeded, Is.False);
            Assert.That(result.None, Is.True, "no key is no result (a challenge says 'missing'), not a failure");
        });
    }

    [Test]
    public void ShouldTrustTheGatewayClaimOnlyFromTheKeyScheme()
    {
        // A principal from another scheme (e.g. a token) carrying the claim is not the gateway.
        var context = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim(ClaimTypes.Name, "entra:someone"), new Claim(ClientIdentity.GatewayClaim, "true")], "AuthenticationTypes.Federation")),
        };

        Assert.Multiple(() =>
        {
            Assert.That(ClientIdentity.Name(context), Is.EqualTo("entra:someone"));
            Assert.That(ClientIdentity.IsGateway(context), Is.False);
        });
    }

    [Test]
    public void ShouldSeeNoClientOnAnAnonymousRequest()
    {
        var context = new DefaultHttpContext();

        Assert.Multiple(() =>
        {
            Assert.That(ClientIdentity.AuthenticatedName(context), Is.Null);
            Assert.That(ClientIdentity.Name(context), Is.EqualTo("anonymous"));
            Assert.That(ClientIdentity.IsGateway(context), Is.False);
        });
    }

    private async Task<(HttpContext Context, JsonElement Problem)> AnswerAsync(Func<HttpContext, Task> act, string? key)
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Response.Body = new MemoryStream();
        if (key is not null)
        {
            context.Request.Headers["api-key"] = key;
        }

        await act(context);
        context.Response.Body.Position = 0;
        using var document = await JsonDocument.ParseAsync(context.Response.Body);
        return (context, document.RootElement.Clone());
    }

    [TestCase(null, "missing_api_key")]
    [TestCase("not-the-key", "invalid_api_key")]
    public async Task ShouldChallengeWithAProblem(string? key, string code)
    {
        var (context, problem) = await AnswerAsync(c => c.ChallengeAsync(), key);

        Assert.Multiple(() =>
        {
            Assert.That(context.Response.StatusCode, Is.EqualTo(StatusCodes.Status401Unauthorized));
            Assert.That(context.Response.Headers.WWWAuthenticate.ToString(), Is.EqualTo("Bearer"));
            Assert.That(context.Response.ContentType, Does.StartWith("application/problem+json"));
            Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(401));
            Assert.That(problem.GetProperty("code").GetString(), Is.EqualTo(code));
            Assert.That(problem.ToString(), Does.Not.Contain("not-the-key"));
        });
    }

    [Test]
    public async Task ShouldRefuseWithAProblem()
    {
        var (context, problem) = await AnswerAsync(c => c.ForbidAsync(), OpsKey);

        Assert.Multiple(() =>
        {
            Assert.That(context.Response.StatusCode, Is.EqualTo(StatusCodes.Status403Forbidden));
            Assert.That(context.Response.Headers.WWWAuthenticate.ToString(), Is.Empty);
            Assert.That(problem.GetProperty("status").GetInt32(), Is.EqualTo(403));
            Assert.That(problem.GetProperty("code").GetString(), Is.EqualTo("forbidden"));
        });
    }

    [TestCase("api-key", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true, ApiKeyAuthentication.Scheme)]
    [TestCase("Authorization", "Bearer " + OpsKey, true, ApiKeyAuthentication.Scheme)]
    [TestCase("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true, EntraIdAuthentication.Scheme)]
    [TestCase("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", false, ApiKeyAuthentication.Scheme)]
    [TestCase("Authorization", "Bearer " + DottedKey, true, ApiKeyAuthentication.Scheme)]
    public void ShouldForwardToTheSchemeTheCredentialsAreFor(string header, string value, bool entraId, string scheme)
    {
        // A configured key always wins, even one with a JWT's shape; only what is no key goes to Entra ID.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["API_KEYS"] = "ops:" + OpsKey + ",dotted:" + DottedKey,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddApiSecurity(configuration);
        using var provider = services.BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = provider };
        context.Request.Headers[header] = value;

        Assert.That(ApiKeyAuthentication.SelectScheme(context, entraId), Is.EqualTo(scheme));
    }

    [TestCase("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true)]
    [TestCase("a.b", false)]
    [TestCase("a..c", false)]
    [TestCase("0123456789abcdef0123456789abcdef", false)]
    public void ShouldRecogniseTheShapeOfAJwt(string value, bool jwt) =>
        Assert.That(EntraIdAuthentication.LooksLikeJwt(value), Is.EqualTo(jwt));
}
