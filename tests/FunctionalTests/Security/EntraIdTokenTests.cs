using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Wrapper.FunctionalTests.Infrastructure;

namespace Wrapper.FunctionalTests.Security;

/// <summary>Entra ID tokens (APIM's managed identity) accepted besides keys, validated with a test signing key
/// in place of the tenant's published keys.</summary>
public sealed class EntraIdTokenTests
{
    private const string Issuer = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0";
    private const string Audience = "api://wrapper";
    private static readonly SymmetricSecurityKey SigningKey = new(System.Text.Encoding.UTF8.GetBytes("a-test-signing-key-of-at-least-32-bytes!!"));

    private static string Token(string audience, DateTime? expires = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = audience,
        Subject = new ClaimsIdentity([new Claim("azp", "apim-managed-identity")]),
        Expires = expires ?? DateTime.UtcNow.AddMinutes(10),
        NotBefore = (expires ?? DateTime.UtcNow.AddMinutes(10)).AddMinutes(-20),
        SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256),
    });

    /// <summary>The API with Entra ID on (and the test keys unless <paramref name="keys"/> is false), validating tokens
    /// with the test signing key.</summary>
    private static (SecuredApiFactory Factory, HttpClient Client) Start(bool keys = true, Dictionary<string, string>? extra = null)
    {
        var settings = keys ? SecuredApiFactory.WithKeys() : [];
        settings["Auth:EntraId:Authority"] = Issuer;
        settings["Auth:EntraId:Audience"] = Audience;
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        var factory = new SecuredApiFactory(settings);
        var client = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.PostConfigure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, options =>
            {
                options.Configuration = new OpenIdConnectConfiguration { Issuer = Issuer };
                options.TokenValidationParameters.IssuerSigningKey = SigningKey;
                options.TokenValidationParameters.ValidIssuer = Issuer;
            }))).CreateClient();
        return (factory, client);
    }

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string? bearer, string path = "/completion?query=hi")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await client.SendAsync(request);
    }

    private static async Task<HttpStatusCode> GetWithTokenAsync(string token)
    {
        var (factory, client) = Start();
        await using var _ = factory;
        using var __ = client;
        using var response = await GetAsync(client, token);
        return response.StatusCode;
    }

    [Test]
    public async Task ShouldAcceptAValidToken() =>
        Assert.That(await GetWithTokenAsync(Token(Audience)), Is.EqualTo(HttpStatusCode.OK));

    [Test]
    public async Task ShouldRejectATokenForAnotherAudience() =>
        Assert.That(await GetWithTokenAsync(Token("api://someone-else")), Is.EqualTo(HttpStatusCode.Unauthorized));

    [Test]
    public async Task ShouldRejectAnExpiredToken() =>
        Assert.That(await GetWithTokenAsync(Token(Audience, DateTime.UtcNow.AddMinutes(-10))), Is.EqualTo(HttpStatusCode.Unauthorized));

    [Test]
    public async Task ShouldAnswerARejectedTokenWithTheKeySchemesProblem()
    {
        var (factory, client) = Start();
        await using var _ = factory;
        using var __ = client;
        var token = Token("api://someone-else");

        using var response = await GetAsync(client, token);

        var body = await response.Content.ReadAsStringAsync();
        await response.AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        Assert.Multiple(() =>
        {
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("Bearer"));
            Assert.That(body, Does.Not.Contain(token));
        });
    }

    [Test]
    public async Task ShouldStillAcceptKeysAsBearerBesideTokens()
    {
        var (factory, client) = Start();
        await using var _ = factory;
        using var __ = client;

        using var key = await GetAsync(client, SecuredApiFactory.BobKey);
        using var wrong = await GetAsync(client, SecuredApiFactory.BobKey + "x");

        Assert.Multiple(async () =>
        {
            Assert.That(key.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            await wrong.AssertProblemAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        });
    }

    [Test]
    public async Task ShouldRequireCredentialsWhenOnlyEntraIdIsConfigured()
    {
        var (factory, client) = Start(keys: false);
        await using var _ = factory;
        using var __ = client;

        using var anonymous = await GetAsync(client, null);
        using var probe = await GetAsync(client, null, "/health/ready");
        using var token = await GetAsync(client, Token(Audience));

        await anonymous.AssertProblemAsync(HttpStatusCode.Unauthorized, "missing_api_key");
        Assert.Multiple(() =>
        {
            Assert.That(probe.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(token.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task ShouldCountATokensClientByItsAzp()
    {
        var (factory, client) = Start(extra: new Dictionary<string, string>
        {
            ["RateLimiting:PermitLimit"] = "2",
            ["RateLimiting:WindowSeconds"] = "3600",
        });
        await using var _ = factory;
        using var __ = client;
        var token = Token(Audience);

        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await GetAsync(client, token);
            codes.Add(response.StatusCode);
        }

        using var bob = await GetAsync(client, SecuredApiFactory.BobKey);

        Assert.Multiple(() =>
        {
            Assert.That(codes, Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }),
                "the token's client (entra:apim-managed-identity) has one budget");
            Assert.That(bob.StatusCode, Is.EqualTo(HttpStatusCode.OK), "and a key's client another");
        });
    }
}
