using System.Security.Cryptography;

namespace Library.AppHost.Hosting;

/// <summary>A random password that meets SPEC §4's rule (letters and digits, 20 characters).</summary>
public static class AdminPassword
{
    private const string Letters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    private const string Digits = "23456789";

    public static string Generate()
    {
        var alphabet = Letters + Digits;
        var chars = new char[20];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        }

        // At least one of each, wherever they land.
        chars[RandomNumberGenerator.GetInt32(10)] = Letters[RandomNumberGenerator.GetInt32(Letters.Length)];
        chars[10 + RandomNumberGenerator.GetInt32(10)] = Digits[RandomNumberGenerator.GetInt32(Digits.Length)];
        return new string(chars);
    }
}
